"""Staff identity: a role badge from the role, never the name; display names that cannot claim
a role, copy another person's name (case, Unicode look-alikes) or carry a watched word; the
account page says why a name is refused."""

import html

import pytest
import sqlalchemy as sa

from portal.auth.models import User
from portal.auth.names import chosen_name_problems, name_key, name_taken, reserved_word_in
from portal.demo import DEMO_ACCOUNTS
from portal.extensions import db
from portal.rooms.models import WatchedWord
from portal.security import Role
from tests.conftest import AuthActions
from tests.factories import make_user
from tests.rooms.conftest import ack, member, new_id
from tests.statements import counting


@pytest.fixture
def req(app):
    with app.test_request_context():
        yield


def save_name(app, user, name):
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(user.email)
    return auth.post("/auth/account", {"display_name": name, "timezone": user.timezone}, page="/auth/account")


def test_staff_messages_carry_a_badge_from_their_role(app, chat, welcome):
    mod = member(display_name="Morgan", roles=(Role.MODERATOR,))
    family = member(display_name="Jordan")
    m, f = chat.connect(mod), chat.connect(family)
    by_mod = ack(m, "send", {"room": "welcome", "body": "Welcome, everyone", "client_id": new_id()})["message"]
    by_family = ack(f, "send", {"room": "welcome", "body": "Hello", "client_id": new_id()})["message"]
    assert by_mod["author_badge"] == {"role": "moderator", "label": "Staff: moderator"}
    assert by_family["author_badge"] is None
    assert by_mod["author"] == {"id": mod.id, "display_name": "Morgan"}  # the contract's shape stays
    joined = ack(f, "join", {"room": "welcome", "after_id": None})["messages"]
    assert [x["author_badge"] for x in joined] == [by_mod["author_badge"], None]
    page = f.http.get("/rooms/welcome").get_data(as_text=True)
    assert page.count('class="msg-badge msg-badge-moderator"') == 1
    assert "Staff: moderator" in page


def test_a_family_member_cannot_get_a_badge_by_naming_themselves(app, chat, welcome):
    family = member(display_name="Jordan")
    response = save_name(app, family, "Morgan (moderator)")
    assert response.status_code == 422
    assert "staff are shown with a badge from their role" in html.unescape(response.get_data(as_text=True))
    db.session.refresh(family)
    assert family.display_name == "Jordan"


@pytest.mark.parametrize(
    "name",
    [
        "Morgan (moderator)",
        "M0DERATOR Sam",
        "TheModerator",
        "Casey counselor",
        "admin",
        "Staff Pat",
        "Family Bridge helper",
        "FamilyBridge",
        "Mоderator",
    ],  # the last with a Cyrillic "о"
)
def test_reserved_words_are_refused_in_any_disguise(app, req, name):
    assert reserved_word_in(name)
    assert chosen_name_problems(name)


@pytest.mark.parametrize("name", ["Morgan", "Badminton fan", "Sam R.", "Ana María", "Staffordshire Jo"])
def test_ordinary_names_pass(app, req, name):
    assert chosen_name_problems(name) == []


def test_the_center_name_is_reserved(app, req):
    app.config["CENTER_NAME"] = "Riverside Recovery"
    assert reserved_word_in("Riverside Recovery Mom")
    assert not reserved_word_in("River")


def test_names_are_unique_across_case_and_look_alikes(app, req):
    taken = make_user(display_name="Morgan")
    assert name_key("MORGAN ") == name_key("Mоrgan") == name_key("M0rgan") == name_key("Ｍｏｒｇａｎ")
    for copy in ("morgan", "MORGAN", "Mоrgan", "M0rgan", "Ｍｏｒｇａｎ", "Mor gan"):
        assert chosen_name_problems(copy), copy
    assert chosen_name_problems("Morgan", owner=taken) == []  # one's own name stays
    assert chosen_name_problems("Morgana") == []


def test_a_taken_name_is_one_lookup_of_the_stored_key_however_many_accounts(app, req):
    """The folded name is stored with the account (users.name_key), kept when the name
    changes, and "taken?" is one statement, not a scan that folds every account's name."""
    for n in range(30):
        make_user(display_name=f"Member {chr(65 + n % 26)}{n // 26}")
    renamed = make_user(display_name="Morgan")
    renamed.display_name = "Robin"
    db.session.commit()
    assert renamed.name_key == "robin"
    with counting() as statements:
        assert name_taken("R0BIN")
        assert not name_taken("Morgan")
        assert not name_taken("Robin", owner_id=renamed.id)
    assert len(statements) == 3
    assert not name_taken("李明")  # no Latin letters, no key: never "taken"


def test_the_account_page_says_why_a_taken_name_is_refused(app):
    make_user(display_name="Alice")
    bea = make_user(display_name="Bea")
    response = save_name(app, bea, "ALİCE".replace("İ", "I"))
    assert response.status_code == 422
    assert "Someone already uses this name" in response.get_data(as_text=True)
    db.session.refresh(bea)
    assert bea.display_name == "Bea"


def test_a_watched_word_in_a_new_name_is_refused_with_a_reason(app, welcome):
    db.session.add(WatchedWord(phrase="rude", action="block"))
    db.session.commit()
    person = make_user(display_name="Pat")
    response = save_name(app, person, "Rude Pat")
    assert response.status_code == 422
    assert "a word the moderators keep out of the rooms" in response.get_data(as_text=True)
    db.session.refresh(person)
    assert person.display_name == "Pat"  # not saved, so never shown as "Member N"


def test_keeping_an_existing_name_is_allowed(app):
    staff = make_user(display_name="Morgan (moderator)", roles=(Role.MODERATOR,))  # a name from before the rules
    response = save_name(app, staff, "morgan (moderator)")
    assert response.status_code == 302


def test_hostile_and_oversized_names_are_refused_without_error(app):
    person = make_user(display_name="Pat")
    for name in ("<script>alert(1)</script>" * 3, "x" * 10_000, "'; DROP TABLE users; --"):
        response = save_name(app, person, name)
        assert response.status_code in (302, 422)
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


# --- the demo accounts -------------------------------------------------------------------------


def test_every_demo_display_name_passes_the_rules_a_person_signing_up_meets(app, req):
    """The demo's staff are shown with a badge from their role, like everyone's staff: their
    names claim nothing ("Morgan", not "Morgan (moderator)") and pass the sign-up form's check."""
    names = [name for _email, name, _roles in DEMO_ACCOUNTS]
    for name in names:
        assert chosen_name_problems(name) == [], name
    assert len({name_key(name) for name in names}) == len(names)  # no two look the same either


def test_seed_demo_renames_an_old_demo_staff_name_and_keeps_a_name_a_person_chose(app, runner):
    kept = make_user(email="counselor@example.org", display_name="Casey R.", roles=(Role.COUNSELOR,))
    for email, old in (("moderator@example.org", "Morgan (moderator)"), ("admin@example.org", "Avery (admin)")):
        make_user(email=email, display_name=old, roles=(Role.MODERATOR,))
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["seed-demo"])
    names = dict(db.session.execute(sa.select(User.email, User.display_name)).all())
    assert names["moderator@example.org"] == "Morgan" and names["admin@example.org"] == "Avery"
    assert names["counselor@example.org"] == "Casey R." == kept.display_name  # never undo a person's choice
    assert db.session.scalar(sa.select(User.name_key).filter_by(email="moderator@example.org")) == "morgan"
