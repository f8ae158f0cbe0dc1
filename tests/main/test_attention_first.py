"""Dashboards show what needs attention first: counselors (invitations, consents ending soon),
moderators (queue size and oldest item), family (assignments, then the next session)."""

from datetime import date, timedelta

from portal.extensions import db
from portal.security import Role
from tests.factories import link_family, make_user

ATTENTION = "Needs your attention"


def _main(html):
    return html.split('id="main"')[1]


def test_counselor_sees_waiting_families_and_consents_ending_soon_first(client, auth, counselor, sam, family):
    link = link_family(family, sam, witness=counselor, expires_on=date.today() + timedelta(days=10))
    db.session.delete(link)  # a consent with no link and no invitation: the family waits
    db.session.commit()
    auth.login(counselor.email)
    main = _main(client.get("/dashboard").get_data(as_text=True))
    assert ATTENTION in main
    assert main.index(ATTENTION) < main.index("Clients and consents")
    assert "Jordan is waiting for an invitation" in main
    assert "The consent for Jordan ends on" in main


def test_nothing_to_do_means_no_attention_panel(client, auth, counselor, sam, family):
    link_family(family, sam, witness=counselor, expires_on=date.today() + timedelta(days=90))
    auth.login(counselor.email)
    assert ATTENTION not in client.get("/dashboard").get_data(as_text=True)


def test_another_programs_consents_are_never_shown(client, auth, sam, family):
    other = make_user(email="other@example.org", roles=(Role.COUNSELOR,))
    link = link_family(family, sam, expires_on=date.today() + timedelta(days=3))
    db.session.delete(link)
    db.session.commit()
    auth.login(other.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert ATTENTION not in html and "Jordan" not in html


def test_family_member_sees_no_counselor_panel(client, auth, counselor, sam, family):
    link_family(family, sam, witness=counselor, expires_on=date.today() + timedelta(days=3))
    auth.login(family.email)
    assert ATTENTION not in client.get("/dashboard").get_data(as_text=True)


def test_moderator_sees_queue_size_and_oldest_item_first(client, auth):
    from portal.rooms.models import Flag, FlagKind
    from portal.rooms.services import post_message
    from tests.rooms.conftest import make_room, member, new_id

    room = make_room("welcome", name="Welcome")
    author = member("author@example.org")
    for n in range(2):
        message = post_message(author, room, f"hello {n}", new_id(), lambda _user_id: 0).message
        db.session.add(Flag(kind=FlagKind.MEMBER, message_id=message.id, reason="unkind"))
    db.session.commit()
    member("mod@example.org", roles=(Role.FAMILY, Role.MODERATOR))
    auth.login("mod@example.org")
    main = _main(client.get("/dashboard").get_data(as_text=True))
    assert "2 items wait for review; the oldest since" in main
    assert main.index("Peer support rooms") < main.index("Learn") if "Learn" in main else True
