"""Private check-ins, live (docs/realtime.md): each new post reaches, over /chat, the open
sockets of every person who may read the thread — its member, the moderators and the
counselors — and nobody else; `checkin_posts` answers only those readers; hostile payloads
are error acks; a suspended or signed-out person gets nothing."""

import pytest
import sqlalchemy as sa

from portal.auth import sessions
from portal.auth.models import UserRole
from portal.clock import utcnow
from portal.extensions import db
from portal.rooms import checkins
from portal.rooms.models import CheckIn, CheckInPost, Suspension
from portal.security import Role
from tests.rooms.conftest import ack, member, payloads
from tests.rooms.test_checkins import CSRF, XSS, post, setup
from tests.statements import counting

POST_KEYS = {"id", "checkin", "author", "staff", "body_html", "created_at"}


def staff(chat, name, role):
    person = member(display_name=name, roles=(role,), accepted=role != Role.COUNSELOR)
    return person, chat.connect(person)


def start(sock, message_id, body="Checking in — are you safe right now?"):
    path = f"/rooms/console/checkins/new/{message_id}"
    assert post(sock, path, {"body": body}, page=path).status_code == 302
    return db.session.scalar(sa.select(CheckIn).order_by(CheckIn.id.desc()))


def answer(sock, thread, body):
    path = f"/rooms/checkins/{thread.id}"
    assert post(sock, path, {"body": body}, page=path).status_code == 302


def live_posts(sock):
    return payloads(sock, "checkin_post")


@pytest.fixture
def people(app, chat, welcome):
    """A member who posted, the moderator who will check in, another moderator, a counselor and
    an unrelated family member, each with an open socket (nothing received yet)."""
    author, a, message_id = setup(chat, welcome)
    mod, m = staff(chat, "Mod", Role.MODERATOR)
    _, m2 = staff(chat, "Other mod", Role.MODERATOR)
    counselor, c = staff(chat, "Cy", Role.COUNSELOR)
    _, other = staff(chat, "Other", Role.FAMILY)
    for sock in (a, m, m2, c, other):
        sock.get_received("/chat")
    sockets = {"a": a, "m": m, "m2": m2, "c": c, "other": other}
    return sockets | {"author": author, "c_user": counselor, "message_id": message_id}


def test_the_first_post_reaches_the_member_and_all_staff_live_and_no_one_else(people):
    thread = start(people["m"], people["message_id"], "Checking in — are you safe right now? " + XSS)
    [to_member] = live_posts(people["a"])
    assert set(to_member) == POST_KEYS
    assert to_member["checkin"] == thread.id and to_member["staff"] is True
    assert to_member["author"] == {"display_name": "Mod"}  # a name only: no id, no email
    assert "are you safe right now?" in to_member["body_html"]
    assert "<script" not in to_member["body_html"] and "<img" not in to_member["body_html"]
    assert "&lt;script&gt;" in to_member["body_html"]  # shown as text, as on the page
    assert to_member["created_at"].endswith("Z")
    for sock in ("m", "m2", "c"):
        assert live_posts(people[sock]) == [to_member]
    assert live_posts(people["other"]) == []


def test_the_members_answer_reaches_the_starter_other_moderators_and_counselors_live(people):
    thread = start(people["m"], people["message_id"])
    for sock in people.values():
        if hasattr(sock, "get_received"):
            sock.get_received("/chat")
    answer(people["a"], thread, "I'm OK, thank you " + XSS)
    answers = {name: live_posts(people[name]) for name in ("m", "m2", "c", "a", "other")}
    [reply] = answers["m"]
    assert reply["author"] == {"display_name": "Sam"} and reply["staff"] is False
    assert "OK, thank you" in reply["body_html"] and "<img" not in reply["body_html"]
    assert answers["m2"] == answers["c"] == answers["a"] == [reply]  # the member's other tabs too
    assert answers["other"] == []


def test_check_in_posts_answers_a_reader_from_after_id_oldest_first(people):
    thread = start(people["m"], people["message_id"])
    answer(people["a"], thread, "one")
    answer(people["a"], thread, "two")
    for name in ("a", "m2", "c"):
        reply = ack(people[name], "checkin_posts", {"checkin": thread.id})
        assert reply["ok"] is True and reply["checkin"] == thread.id and reply["has_more"] is False
        assert [p["body_html"] for p in reply["posts"]][1:] == ["<p>one</p>", "<p>two</p>"]
    first = reply["posts"][0]["id"]
    after = ack(people["a"], "checkin_posts", {"checkin": thread.id, "after_id": first})
    assert [p["body_html"] for p in after["posts"]] == ["<p>one</p>", "<p>two</p>"]
    assert ack(people["a"], "checkin_posts", {"checkin": thread.id, "after_id": None})["posts"] == reply["posts"]


def test_check_in_posts_come_in_pages_with_has_more(people, monkeypatch):
    thread = start(people["m"], people["message_id"])
    answer(people["a"], thread, "one")
    monkeypatch.setattr(checkins, "POSTS_MAX", 1)
    page1 = ack(people["a"], "checkin_posts", {"checkin": thread.id})
    assert page1["has_more"] is True and len(page1["posts"]) == 1
    page2 = ack(people["a"], "checkin_posts", {"checkin": thread.id, "after_id": page1["posts"][0]["id"]})
    assert page2["has_more"] is False and [p["body_html"] for p in page2["posts"]] == ["<p>one</p>"]


def test_another_family_member_cannot_read_a_thread_and_learns_nothing_of_it(people):
    thread = start(people["m"], people["message_id"])
    theirs = ack(people["other"], "checkin_posts", {"checkin": thread.id})
    unknown = ack(people["other"], "checkin_posts", {"checkin": 424242})
    assert theirs["error"] == unknown["error"] == "not_found"
    assert theirs == unknown  # the same answer: whether the thread exists is not theirs to know
    assert "posts" not in theirs
    assert people["other"].is_connected("/chat")


def test_members_cannot_start_a_thread_and_nothing_is_sent(people):
    path = f"/rooms/console/checkins/new/{people['message_id']}"
    assert post(people["other"], path, {"body": "psst, private"}).status_code == 403
    assert db.session.scalar(sa.select(CheckIn)) is None
    assert all(live_posts(people[name]) == [] for name in ("a", "m", "m2", "c", "other"))


@pytest.mark.parametrize(
    "payload",
    [
        "not an object",
        ["checkin", 1],
        None,
        {},
        {"checkin": "1"},
        {"checkin": True},
        {"checkin": 1.5},
        {"checkin": -1},
        {"checkin": 0},
        {"checkin": 2**60},
        {"checkin": XSS},
        {"checkin": "x" * 10_000},
        {"checkin": 1, "after_id": "x" * 10_000},
        {"checkin": 1, "after_id": False},
        {"checkin": 1, "after_id": -5},
        {"checkin": 1, "after_id": [1]},
    ],
)
def test_malformed_check_in_posts_payloads_are_invalid(people, payload):
    reply = ack(people["a"], "checkin_posts", payload)
    assert reply["ok"] is False and reply["error"] == "invalid" and reply["message"]


@pytest.mark.parametrize("checkin_id", [424242, 2**31, 2**53 - 1])
def test_unknown_thread_ids_are_not_found(people, checkin_id):
    assert ack(people["m"], "checkin_posts", {"checkin": checkin_id})["error"] == "not_found"


def test_a_suspended_member_gets_nothing_live_and_is_refused(people):
    thread = start(people["m"], people["message_id"])
    people["a"].get_received("/chat")
    db.session.add(Suspension(user_id=people["author"].id, reason="a pause", created_by_id=thread.started_by_id))
    db.session.commit()
    thread = db.session.get(CheckIn, thread.id)
    assert people["author"].id not in checkins.readers(thread)
    post(people["m"], f"/rooms/checkins/{thread.id}", {"body": "Are you there?"}, page=f"/rooms/checkins/{thread.id}")
    assert live_posts(people["a"]) == []
    assert ack(people["a"], "checkin_posts", {"checkin": thread.id})["error"] == "unauthorized"
    assert not people["a"].is_connected("/chat")


def test_a_signed_out_session_gets_nothing(people):
    thread = start(people["m"], people["message_id"])
    assert people["a"].auth.logout().status_code == 302
    assert not people["a"].is_connected("/chat")
    answer(people["m"], thread, "Are you there?")
    assert db.session.scalar(sa.select(sa.func.count(CheckInPost.id))) == 2  # stored; no socket to send to


def test_a_revoked_session_is_refused_at_its_next_event(people):
    from portal.auth.models import SessionRecord

    thread = start(people["m"], people["message_id"])
    record = db.session.scalar(sa.select(SessionRecord).filter_by(user_id=people["author"].id))
    record.revoked_at = utcnow()  # no signal: the event itself must notice
    db.session.commit()
    assert ack(people["a"], "checkin_posts", {"checkin": thread.id})["error"] == "unauthorized"
    assert not people["a"].is_connected("/chat")


def test_a_counselor_whose_role_is_removed_gets_no_more_posts_and_cannot_read(people):
    thread = start(people["m"], people["message_id"])
    people["c"].get_received("/chat")
    db.session.execute(sa.delete(UserRole).filter_by(user_id=people["c_user"].id, role=Role.COUNSELOR.value))
    db.session.commit()
    answer(people["a"], thread, "I'm OK")
    assert live_posts(people["c"]) == []
    assert ack(people["c"], "checkin_posts", {"checkin": thread.id})["error"] == "unauthorized"


def test_the_thread_page_carries_what_its_script_needs_and_no_inline_script(people):
    thread = start(people["m"], people["message_id"])
    page = people["a"].http.get(f"/rooms/checkins/{thread.id}").get_data(as_text=True)
    assert f'data-checkin="{thread.id}"' in page
    assert 'id="checkin-announcer"' in page and 'aria-live="polite"' in page
    assert "js/checkin.js" in page and 'type="module"' in page
    assert "<noscript>" in page  # without JavaScript: reload to see new posts
    assert CSRF.search(page)  # the answer form still posts without JavaScript
    inline = [s for s in page.split("<script")[1:] if "src=" not in s.split(">")[0]]
    assert all('type="application/json"' in s.split(">")[0] for s in inline)


def test_posts_are_sent_live_only_after_they_are_committed(people, monkeypatch):
    """A reader asking for the thread as soon as the event reaches them must find the post."""
    from portal.rooms import broadcast

    thread = start(people["m"], people["message_id"])
    seen = []

    def check(user_ids, data):
        query = sa.text("SELECT count(*) FROM room_checkin_posts WHERE id = :id")
        with db.engine.connect() as other:
            seen.append(other.execute(query, {"id": data["id"]}).scalar())

    monkeypatch.setattr(broadcast, "checkin_post", check)
    answer(people["a"], thread, "committed first")
    assert seen == [1]


def test_check_in_posts_answer_unavailable_while_the_database_is_away(people, monkeypatch):
    from tests.rooms.test_outage import _database_gone

    thread = start(people["m"], people["message_id"])
    monkeypatch.setattr(sessions, "_load_session_record", _database_gone)
    answer = ack(people["c"], "checkin_posts", {"checkin": thread.id})
    assert answer["ok"] is False and answer["error"] == "unavailable" and answer["retry_after"] == 10


def test_a_refused_post_sends_nothing_live(people):
    thread = start(people["m"], people["message_id"])
    for name in ("a", "m", "m2", "c"):
        people[name].get_received("/chat")
    path = f"/rooms/checkins/{thread.id}"
    assert post(people["a"], path, {"body": "y" * 10_000}, page=path).status_code == 422
    assert post(people["m"], path, {"body": "   "}, page=path).status_code == 422
    assert all(live_posts(people[name]) == [] for name in ("a", "m", "m2", "c"))
    assert db.session.scalar(sa.select(sa.func.count(CheckInPost.id))) == 1


def test_readers_are_the_member_and_every_active_unsuspended_moderator_admin_and_counselor(app):
    from datetime import timedelta

    from tests.factories import make_user

    person = member(display_name="Sam")
    mod = make_user(roles=(Role.MODERATOR,))
    admin = make_user(roles=(Role.ADMIN,))
    counselor = make_user(roles=(Role.COUNSELOR,))
    make_user(roles=(Role.FAMILY,))  # another family member: never
    make_user(roles=(Role.COUNSELOR,), active=False)  # deactivated: never
    suspended = make_user(roles=(Role.COUNSELOR,))
    expired, lifted = make_user(roles=(Role.MODERATOR,)), make_user(roles=(Role.MODERATOR,))
    now = utcnow()
    db.session.add_all(
        [
            Suspension(user_id=suspended.id, created_by_id=admin.id, until=now + timedelta(days=1)),
            Suspension(user_id=expired.id, created_by_id=admin.id, until=now - timedelta(minutes=1)),
            Suspension(user_id=lifted.id, created_by_id=admin.id, lifted_at=now),
        ]
    )
    db.session.commit()
    thread = CheckIn(member_id=person.id, started_by_id=mod.id)
    db.session.add(thread)
    db.session.commit()
    assert checkins.readers(thread) == sorted([person.id, mod.id, admin.id, counselor.id, expired.id, lifted.id])


def test_a_member_with_a_room_open_is_told_of_every_staff_post_with_a_link_to_the_thread(people, outbox):
    """A room page shows only room events live: a later staff post in a check-in reached the
    member only on the thread page. Each staff post now brings a `notification` (the bell, its
    live status and the room page's link) and a neutral email; the member's own answers do not."""
    a = people["a"]
    ack(a, "join", {"room": "welcome"})  # the member is on the room page, not the thread
    thread = start(people["m"], people["message_id"])
    answer(a, thread, "I'm okay, thank you.")
    answer(people["m"], thread, "Glad to hear it. Would a call tomorrow help? " + XSS)
    notices = [n for n in payloads(a, "notification") if n["kind"] == "checkin_post"]
    assert len(notices) == 2  # the first post and the staff answer; not the member's own
    assert {n["url"] for n in notices} == {f"/rooms/checkins/{thread.id}"}
    assert all("wrote to you privately" in n["text"] and "<" not in n["text"] for n in notices)
    assert [n["unread"] for n in notices] == [1, 2]
    for sock in ("m", "m2", "c", "other"):
        assert [n for n in payloads(people[sock], "notification") if n["kind"] == "checkin_post"] == []
    mails = [m for m in outbox() if m["To"] == people["author"].email]
    assert len(mails) == 2
    text = mails[-1].get_body(("plain",)).get_content()
    assert f"/rooms/checkins/{thread.id}" in text
    assert "Would a call" not in text  # neutral: never the words of the post


def test_a_catch_up_reads_the_posts_with_their_authors_in_one_go(people):
    """The posts' authors (and their roles, for the staff mark) come with the posts: a thread
    answered by several people costs no statement per author."""
    thread = start(people["m"], people["message_id"])
    answer(people["a"], thread, "I'm OK")
    answer(people["c"], thread, "Glad to hear it")
    payload = {"checkin": thread.id}
    with counting(expire=True) as statements:
        reply = ack(people["m2"], "checkin_posts", payload)
    assert [p["author"]["display_name"] for p in reply["posts"]] == ["Mod", "Sam", "Cy"]
    assert [p["staff"] for p in reply["posts"]] == [True, False, True]
    # the session (with the person and their roles), the suspension, the thread, the posts with
    # their authors, the authors' roles, the watched words (was 11: a user and roles per author)
    assert len(statements) <= 6, "\n".join(s[:120] for s in statements)


def test_an_answer_does_not_read_the_threads_earlier_posts(people):
    """A post is stored by its thread's id: the thread's earlier posts (and their authors) are
    not read first, however long the thread."""
    thread = start(people["m"], people["message_id"])
    answer(people["a"], thread, "one")
    answer(people["m"], thread, "two")
    path = f"/rooms/checkins/{thread.id}"
    token = CSRF.search(people["a"].http.get(path).get_data(as_text=True)).group(1)
    with counting(expire=True) as statements:
        assert people["a"].http.post(path, data={"csrf_token": token, "body": "three"}).status_code == 302
    assert not [s for s in statements if "= room_checkin_posts.checkin_id" in s], statements
    # the session, the thread, the audit row, the post; then, to announce it, the thread, its
    # readers, the post with its author, the author's roles and the watched words (was 11)
    assert len(statements) <= 9, "\n".join(s[:120] for s in statements)
    assert [p.body for p in db.session.get(CheckIn, thread.id).posts][-1] == "three"
