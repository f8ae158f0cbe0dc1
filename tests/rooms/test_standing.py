"""Sockets follow a person's standing: every path that changes what someone may read takes
their open sockets out of the rooms they may no longer read at once (not at the next `join`).

Ban (test_moderation), suspension and deactivation (sessions end: test_moderation,
test_signals), consent expiry (tests/care/test_expiry.py) and program transfer
(tests/care/test_transfer.py) are proved where they live; the rest here.
"""

from datetime import date

import pytest

from portal.admin import services as admin
from portal.care import access as care_access
from portal.care import services as care
from portal.extensions import db
from portal.rooms import settings
from portal.rooms.models import RoomKind
from portal.security import Role
from tests.factories import link_family, make_client, make_user
from tests.rooms.conftest import ack, make_room, member, new_id, payloads


@pytest.fixture
def moderator(app):
    return member("mod@example.org", "Moderator", roles=(Role.MODERATOR,))


def _in_room(chat, user, slug="evening-iop"):
    sock = chat.connect(user)
    assert ack(sock, "join", {"room": slug})["ok"] is True
    sock.get_received("/chat")
    return sock


def _hears_nothing_more(sock, other, slug="evening-iop"):
    assert ack(other, "send", {"room": slug, "body": "private", "client_id": new_id()})["ok"] is True
    assert payloads(sock, "message") == []


def test_revocation_takes_the_socket_out_of_the_program_room(
    app, chat, program_room, linked_member, counselor, moderator
):
    sock, other = _in_room(chat, linked_member), _in_room(chat, moderator)
    care.revoke_consent(
        linked_member.test_link.consent,
        actor=counselor,
        requested_by="The client",
        requested_on=care_access.consent_today(),
        method="phone",
    )
    assert payloads(sock, "access_ended") == [{"room": "evening-iop"}]
    _hears_nothing_more(sock, other)


def test_discharge_takes_the_socket_out_of_the_program_room(
    app, chat, program_room, linked_member, counselor, moderator
):
    sock, other = _in_room(chat, linked_member), _in_room(chat, moderator)
    client = linked_member.test_link.client
    care.end_enrollment(client, actor=counselor, status="completed", ended_on=date.today())
    assert payloads(sock, "access_ended") == [{"room": "evening-iop"}]
    _hears_nothing_more(sock, other)


def test_leaving_the_link_takes_the_socket_out_of_the_program_room(app, chat, program_room, linked_member, moderator):
    sock, other = _in_room(chat, linked_member), _in_room(chat, moderator)
    care.leave_link(linked_member.test_link, user=linked_member)
    assert payloads(sock, "access_ended") == [{"room": "evening-iop"}]
    _hears_nothing_more(sock, other)


def test_a_second_link_to_the_same_program_keeps_the_room(app, chat, program_room, linked_member, counselor, moderator):
    """Only what the person may no longer read is left: another valid link keeps them in."""
    link_family(linked_member, make_client(program=program_room.test_program), witness=counselor)
    sock, other = _in_room(chat, linked_member), _in_room(chat, moderator)
    care.leave_link(linked_member.test_link, user=linked_member)
    assert payloads(sock, "access_ended") == []
    assert ack(other, "send", {"room": "evening-iop", "body": "still here", "client_id": new_id()})["ok"]
    assert [m["body_html"] for m in payloads(sock, "message")] == ["<p>still here</p>"]


def test_removing_the_moderator_role_leaves_the_room_and_the_moderators_channel(app, chat, program_room, moderator):
    admin_user = make_user(email="avery@example.org", roles=(Role.ADMIN,))
    sock = _in_room(chat, moderator)  # moderators read every room, program rooms included
    writer = _in_room(chat, member(roles=(Role.MODERATOR,)))
    admin.set_roles(admin_user, moderator, [Role.FAMILY.value])
    assert payloads(sock, "access_ended") == [{"room": "evening-iop"}]
    _hears_nothing_more(sock, writer)

    from portal.rooms import broadcast

    broadcast.moderation_alert({"kind": "flag", "priority": False, "room": None, "message": None})
    assert payloads(sock, "moderation_alert") == []
    assert payloads(writer, "moderation_alert") != []


def test_granting_a_role_keeps_the_rooms(app, chat, program_room, linked_member):
    admin_user = make_user(email="avery@example.org", roles=(Role.ADMIN,))
    sock = _in_room(chat, linked_member)
    admin.set_roles(admin_user, linked_member, [Role.FAMILY.value, Role.MODERATOR.value])
    assert payloads(sock, "access_ended") == []


def test_archiving_a_room_takes_family_sockets_out(app, chat, moderator):
    room = make_room("welcome", kind=RoomKind.ALL_FAMILIES)
    family = member("kim@example.org", "Kim")
    sock, other = _in_room(chat, family, "welcome"), _in_room(chat, moderator, "welcome")
    mod_http = other.http
    from tests.conftest import AuthActions

    form = {"name": room.name, "description": "", "slow_mode_seconds": "0", "archived": "y"}
    response = AuthActions(mod_http).post("/rooms/console/rooms/welcome", data=form)
    assert response.status_code == 302
    assert payloads(sock, "access_ended") == [{"room": "welcome"}]
    assert payloads(other, "access_ended") == []
    _hears_nothing_more(sock, other, "welcome")
    db.session.expire_all()
    assert settings.all_rooms()[0].archived is True
