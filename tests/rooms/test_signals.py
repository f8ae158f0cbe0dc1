"""Logout, suspension and consent changes reach live sockets at once."""

from datetime import date

from portal.care.access import consent_ended
from portal.clock import utcnow
from portal.extensions import db
from tests.rooms.conftest import ack, member, new_id, payloads


def test_logout_disconnects_that_sessions_sockets_only(app, chat, welcome):
    from portal.extensions import socketio

    alice, bea = member(), member()
    tab1 = chat.connect(alice)
    tab2 = socketio.test_client(app, namespace="/chat", flask_test_client=tab1.http)  # same browser
    phone = chat.connect(alice)  # another device: a session of its own
    other = chat.connect(bea)
    assert tab2.is_connected("/chat")
    assert tab1.auth.logout().status_code == 302
    assert not tab1.is_connected("/chat")
    assert not tab2.is_connected("/chat")
    assert phone.is_connected("/chat")
    assert other.is_connected("/chat")


def test_revoke_user_sessions_disconnects(app, chat, welcome):
    from portal.auth.sessions import revoke_user_sessions

    alice = member()
    sock = chat.connect(alice)
    revoke_user_sessions(alice, "deactivated")
    db.session.commit()
    assert not sock.is_connected("/chat")


def test_program_room_needs_a_valid_link_on_every_send(app, chat, program_room, linked_member):
    sock = chat.connect(linked_member)
    assert ack(sock, "join", {"room": "evening-iop"})["ok"] is True
    assert ack(sock, "send", {"room": "evening-iop", "body": "hi", "client_id": new_id()})["ok"] is True
    consent = linked_member.test_link.consent
    consent.revoked_at = utcnow()
    db.session.commit()
    reply = ack(sock, "send", {"room": "evening-iop", "body": "still here?", "client_id": new_id()})
    assert reply["error"] == "not_member"
    assert ack(sock, "join", {"room": "evening-iop"})["error"] == "not_member"


def test_an_expired_consent_or_ended_enrollment_also_closes_the_room(app, chat, program_room, linked_member):
    sock = chat.connect(linked_member)
    client = linked_member.test_link.client
    client.status = "completed"
    client.ended_on = date.today()
    db.session.commit()
    assert ack(sock, "join", {"room": "evening-iop"})["error"] == "not_member"


def test_consent_ended_signal_drops_people_from_the_program_room(app, chat, program_room, linked_member):
    sock = chat.connect(linked_member)
    other = chat.connect(member(display_name="Moderator", roles=("moderator",)))
    ack(sock, "join", {"room": "evening-iop"})
    ack(other, "join", {"room": "evening-iop"})
    link = linked_member.test_link
    link.consent.revoked_at = utcnow()
    db.session.commit()
    consent_ended.send(
        app, client_id=link.client_id, consent_id=link.consent_id, user_ids=[linked_member.id], reason="revoked"
    )
    assert payloads(sock, "access_ended") == [{"room": "evening-iop"}]
    ack(other, "send", {"room": "evening-iop", "body": "private", "client_id": new_id()})
    assert payloads(sock, "message") == []


def test_family2_without_a_link_cannot_join_evening_iop(app, chat, program_room, linked_member):
    family2 = member("family2@example.org")
    sock = chat.connect(family2)
    assert ack(sock, "join", {"room": "evening-iop"})["error"] == "not_member"
    assert sock.http.get("/rooms/evening-iop").status_code == 403
    assert "evening-iop" not in sock.http.get("/rooms/").get_data(as_text=True)


def test_signing_out_other_sessions_keeps_this_sessions_socket(app, chat, welcome):
    import sqlalchemy as sa

    from portal.auth.models import SessionRecord
    from portal.auth.services import end_other_sessions

    alice = member()
    here, elsewhere = chat.connect(alice), chat.connect(alice)
    records = db.session.scalars(sa.select(SessionRecord).filter_by(user_id=alice.id).order_by(SessionRecord.id))
    keep = records.first()
    end_other_sessions(alice, keep, "signed_out_elsewhere")
    db.session.commit()
    assert here.is_connected("/chat")
    assert not elsewhere.is_connected("/chat")


def test_staff_who_must_enrol_two_step_sign_in_cannot_chat(app, chat, welcome):
    """Regression: the web pages sent such staff to enrolment, but sockets let them in."""
    moderator = member(display_name="Needs MFA", roles=("moderator",))
    app.config["MFA_REQUIRED_FOR_STAFF"] = True
    http = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(http).login(moderator.email)
    from portal.extensions import socketio

    sock = socketio.test_client(app, namespace="/chat", flask_test_client=http)
    chat.clients.append(sock)
    if sock.is_connected("/chat"):
        assert ack(sock, "join", {"room": "welcome"})["error"] == "unauthorized"
    else:
        assert not sock.is_connected("/chat")
