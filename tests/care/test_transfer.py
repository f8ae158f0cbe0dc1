"""A consent covers the program it names: moving a client to another program ends it.

Regression (security review): editing a client's program kept the family links, the consent
kept "working" for the new program (its calendar, "My family") and the relative's open socket
kept receiving the old program room's messages, presence and typing.
"""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.care import access, services
from portal.care.models import FamilyLink, Invitation
from portal.extensions import db
from portal.rooms.models import RoomKind
from portal.security import Role
from tests.calendar.conftest import make_series
from tests.conftest import AuthActions
from tests.factories import link_family, make_client, make_program, make_user
from tests.rooms.conftest import ack, make_room, member, new_id, payloads


@pytest.fixture
def world(app):
    """Sam in Evening IOP, Jordan linked to Sam, a counselor of both programs, a group session
    and a room in each program."""
    casey = make_user(email="casey@example.org", roles=(Role.COUNSELOR,), display_name="Casey")
    evening = make_program(name="Evening IOP", counselors=[casey])
    day = make_program(name="Day IOP", counselors=[casey])
    sam = make_client(program=evening, full_name="Sam Rivera", counselor=casey)
    jordan = member("jordan@example.org", "Jordan")
    link = link_family(jordan, sam, witness=casey)
    make_room("evening-iop", kind=RoomKind.PROGRAM, program=evening, name="Evening IOP families")
    make_room("day-iop", kind=RoomKind.PROGRAM, program=day, name="Day IOP families")
    make_series(casey, program=evening, title="Evening family group", notify=False)
    make_series(casey, program=day, title="Day family group", notify=False)
    return {"casey": casey, "evening": evening, "day": day, "sam": sam, "jordan": jordan, "link": link}


def _edit(http, client, program, **extra):
    data = {
        "full_name": client.full_name,
        "program_id": str(program.id),
        "enrollment_start": client.enrollment_start.isoformat(),
        "expected_end": (client.expected_end or date.today() + timedelta(days=30)).isoformat(),
        "primary_counselor_id": str(client.primary_counselor_id or 0),
        "record_number": "",
    } | extra
    return AuthActions(http).post(f"/care/clients/{client.id}/edit", data=data)


def _signed_in(app, email):
    http = app.test_client()
    assert AuthActions(http).login(email).status_code == 302
    return http


def test_transfer_needs_the_confirmation_and_says_what_will_end(app, world):
    casey = _signed_in(app, "casey@example.org")
    page = casey.get(f"/care/clients/{world['sam'].id}/edit").get_data(as_text=True)
    assert 'id="transfer-warning"' in page and "1 open family link)" in page
    assert 'name="confirm_transfer"' in page

    response = _edit(casey, world["sam"], world["day"])
    assert response.status_code == 422
    assert "ends 1 family link now" in response.get_data(as_text=True)
    db.session.expire_all()
    assert world["sam"].program_id == world["evening"].id  # nothing changed
    assert db.session.get(FamilyLink, world["link"].id).ended_at is None

    # Saving other details in the same program needs no confirmation and ends nothing.
    assert _edit(casey, world["sam"], world["evening"], record_number="R-7").status_code == 302
    assert db.session.get(FamilyLink, world["link"].id).ended_at is None


def test_transfer_ends_the_link_calendar_family_page_and_room(app, chat, ended, world):
    jordan, sam = world["jordan"], world["sam"]
    sock = chat.connect(jordan)
    moderator = chat.connect(member("mod@example.org", "Moderator", roles=(Role.MODERATOR,)))
    riley = member("riley@example.org", "Riley")
    link_family(riley, make_client(program=world["evening"]), witness=world["casey"])
    riley_sock = chat.connect(riley)
    assert ack(sock, "join", {"room": "evening-iop"})["ok"] is True
    assert ack(moderator, "join", {"room": "evening-iop"})["ok"] is True
    calendar = sock.http.get("/calendar/").get_data(as_text=True)
    assert "Evening family group" in calendar and "Day family group" not in calendar
    sock.get_received("/chat")

    casey = _signed_in(app, "casey@example.org")
    response = _edit(casey, sam, world["day"], confirm_transfer="y")
    assert response.status_code == 302
    client_page = casey.get(response.headers["Location"]).get_data(as_text=True)
    assert "record a new consent for each family member" in client_page
    assert "Ended: the client moved to another program" in client_page

    # The link ended, with the reason; the consent no longer allows anything.
    db.session.expire_all()
    link = db.session.get(FamilyLink, world["link"].id)
    assert link.ended_reason == "program_changed" and link.ended_at is not None
    assert link.consent.status(access.consent_today()) == "transferred"
    assert access.active_links(jordan) == []
    assert ended == [
        {"client_id": sam.id, "consent_id": link.consent_id, "user_ids": [jordan.id], "reason": "transferred"}
    ]

    # Calendar: neither the old nor the new program's group sessions; "My family": nobody.
    calendar = sock.http.get("/calendar/").get_data(as_text=True)
    assert "Day family group" not in calendar and "Evening family group" not in calendar
    family_page = sock.http.get("/care/my-family").get_data(as_text=True)
    assert "Sam Rivera" not in family_page and "Day IOP" not in family_page

    # The socket left the old program room at once: no messages, presence or typing from it.
    assert payloads(sock, "access_ended") == [{"room": "evening-iop"}]
    assert ack(moderator, "send", {"room": "evening-iop", "body": "private", "client_id": new_id()})["ok"]
    ack(moderator, "typing", {"room": "evening-iop"})
    assert ack(riley_sock, "join", {"room": "evening-iop"})["ok"] is True
    received = [e["name"] for e in sock.get_received("/chat")]
    assert "message" not in received and "typing" not in received and "presence" not in received
    assert ack(sock, "join", {"room": "evening-iop"})["error"] == "not_member"
    assert ack(sock, "join", {"room": "day-iop"})["error"] == "not_member"

    # Audited: the link that ended and the transfer itself.
    link_event = db.session.scalar(sa.select(AuditEvent).filter_by(action="family_link.ended"))
    assert link_event.object_id == str(link.id) and link_event.consent_id == link.consent_id
    assert link_event.detail == {
        "reason": "program_changed",
        "from_program_id": world["evening"].id,
        "to_program_id": world["day"].id,
    }
    moved = db.session.scalar(sa.select(AuditEvent).filter_by(action="client.transferred"))
    assert moved.client_id == sam.id and moved.detail["links_ended"] == 1


def test_a_new_consent_for_the_new_program_restores_access(app, world):
    sam, casey = world["sam"], world["casey"]
    services.save_client(
        sam,
        actor=casey,
        program=world["day"],
        full_name=sam.full_name,
        enrollment_start=sam.enrollment_start,
        expected_end=sam.expected_end,
        primary_counselor=casey,
        record_number=None,
        confirm_transfer=True,
    )
    # The old consent is not "valid" any more, so a new one for the same person may be recorded.
    services.check_new_consent(sam, recipient_email="jordan@example.org", expires_on=None, today=access.consent_today())
    fresh = link_family(world["jordan"], sam, witness=casey)
    assert fresh.consent.program_id == world["day"].id
    assert [link.id for link in access.active_links(world["jordan"])] == [fresh.id]


def test_a_consent_never_covers_another_program_even_if_the_link_is_left_open(app, world):
    """The rule itself: a move made outside the portal (by hand in the database) also stops access."""
    sam = world["sam"]
    assert access.may_see_client(world["jordan"], sam.id)
    sam.program_id = world["day"].id
    db.session.commit()
    db.session.expire_all()
    assert not world["link"].consent.is_valid(access.consent_today())
    assert access.active_links(world["jordan"]) == []
    assert access.linked_program_ids(world["jordan"]) == set()


def test_transfer_cancels_pending_invitations_of_the_old_consent(app, world):
    from portal.clock import utcnow

    sam, casey = world["sam"], world["casey"]
    invitation = Invitation(
        consent_id=world["link"].consent_id,
        token_hash="1" * 64,
        email="jordan@example.org",
        expires_at=utcnow() + timedelta(days=3),
    )
    db.session.add(invitation)
    db.session.commit()
    with pytest.raises(services.CareError) as refused:
        services.save_client(
            sam,
            actor=casey,
            program=world["day"],
            full_name=sam.full_name,
            enrollment_start=sam.enrollment_start,
            expected_end=sam.expected_end,
            primary_counselor=casey,
            record_number=None,
        )
    assert refused.value.field == "confirm_transfer"
    services.save_client(
        sam,
        actor=casey,
        program=world["day"],
        full_name=sam.full_name,
        enrollment_start=sam.enrollment_start,
        expected_end=sam.expected_end,
        primary_counselor=casey,
        record_number=None,
        confirm_transfer=True,
    )
    assert db.session.get(Invitation, invitation.id).cancelled_at is not None
