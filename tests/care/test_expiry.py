"""The expiry sweep: a dated consent runs out → its link ends and `consent_ended` goes out once.

Access stops by itself at midnight in the center's zone (tests/care/test_consent_lifecycle.py);
these tests prove that rooms and calendar hear of it too, through `flask care expire-consents`
or `flask reminders send`, and that a second run announces nothing.
"""

from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
import time_machine

from portal.audit import AuditEvent
from portal.calendar import roster
from portal.calendar.models import RSVP
from portal.calendar.schedule import occurrences_of
from portal.care import access, services
from portal.care.models import FamilyLink, Invitation
from portal.extensions import db
from portal.rooms.models import RoomKind
from portal.security import Role
from tests.calendar.conftest import make_series
from tests.factories import link_family, make_client, make_program, make_user
from tests.rooms.conftest import ack, make_room, member, new_id, payloads

# Daylight saving time began in New York on 8 March 2026 (UTC-4 from then on).
EXPIRES_ON = date(2026, 3, 10)
LAST_MINUTES = datetime(2026, 3, 11, 3, 55, tzinfo=UTC)  # 23:55 on 10 March in New York: still valid
JUST_AFTER = datetime(2026, 3, 11, 4, 5, tzinfo=UTC)  # 00:05 on 11 March: expired
SESSION_DAY = date(2026, 3, 11)  # 18:00 New York, within the 24-hour reminder lead of JUST_AFTER


@pytest.fixture
def world(app):
    """Jordan (consent until 10 March) and Riley (until end of enrollment), both going to a
    session of Sam's on 11 March, and a program room."""
    with time_machine.travel(LAST_MINUTES, tick=False):
        counselor = make_user(email="casey@example.org", roles=(Role.COUNSELOR,), display_name="Casey")
        program = make_program(name="Evening IOP", counselors=[counselor])
        sam = make_client(program=program, full_name="Sam Rivera", counselor=counselor)
        jordan = member("jordan@example.org", "Jordan")
        riley = member("riley@example.org", "Riley")
        dated = link_family(jordan, sam, witness=counselor, expires_on=EXPIRES_ON)
        lasting = link_family(riley, sam, witness=counselor)
        make_room("evening-iop", kind=RoomKind.PROGRAM, program=program, name="Evening IOP families")
        series = make_series(counselor, client=sam, first=SESSION_DAY, at=time(18, 0), count=2, notify=False)
        occurrence = occurrences_of(series)[0]
        roster.respond(jordan, occurrence, "going")
        roster.respond(riley, occurrence, "going")
    return {"sam": sam, "jordan": jordan, "riley": riley, "dated": dated, "lasting": lasting, "series": series}


def _reminders(outbox):
    return [m["To"] for m in outbox() if m["Subject"].startswith("Reminder:")]


def test_expiry_is_announced_once_drops_the_room_and_the_reminder(app, runner, outbox, chat, ended, world):
    jordan, dated = world["jordan"], world["dated"]
    with time_machine.travel(LAST_MINUTES, tick=False) as traveller:
        sock = chat.connect(jordan)
        moderator = chat.connect(member("mod@example.org", "Moderator", roles=(Role.MODERATOR,)))
        assert ack(sock, "join", {"room": "evening-iop"})["ok"] is True
        assert ack(moderator, "join", {"room": "evening-iop"})["ok"] is True
        assert services.expire_consents() == 0  # still valid on its last day: nothing to announce
        assert ended == []

        traveller.move_to(JUST_AFTER)
        result = runner.invoke(args=["care", "expire-consents"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("1 family link(s) ended")
        assert ended == [
            {"client_id": world["sam"].id, "consent_id": dated.consent_id, "user_ids": [jordan.id], "reason": "expired"}
        ]
        again = runner.invoke(args=["care", "expire-consents"])
        assert again.exit_code == 0 and again.output.startswith("0 family link(s)")
        assert len(ended) == 1  # the second run announced nothing

        # The link is marked ended; Riley's (no date) is untouched.
        db.session.expire_all()
        link = db.session.get(FamilyLink, dated.id)
        assert link.ended_at == JUST_AFTER and link.ended_reason == "consent_expired"
        assert db.session.get(FamilyLink, world["lasting"].id).ended_at is None

        # Rooms heard it: Jordan's open socket left the program room and gets nothing more from it.
        assert payloads(sock, "access_ended") == [{"room": "evening-iop"}]
        assert ack(moderator, "send", {"room": "evening-iop", "body": "private", "client_id": new_id()})["ok"]
        assert payloads(sock, "message") == []
        assert ack(sock, "join", {"room": "evening-iop"})["error"] == "not_member"

        # Calendar heard it: Jordan's reply is gone, so only Riley is reminded.
        going = db.session.scalars(sa.select(RSVP.user_id).where(RSVP.series_id == world["series"].id)).all()
        assert going == [world["riley"].id]
        sent = runner.invoke(args=["reminders", "send"])
        assert sent.exit_code == 0 and "1 reminder(s) queued" in sent.output
        assert _reminders(outbox) == ["riley@example.org"]
        assert len(ended) == 1

        # The audit log says which link ended, why, and under which consent.
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="family_link.ended"))
        assert event.object_type == "family_links" and event.object_id == str(dated.id)
        assert event.client_id == world["sam"].id and event.consent_id == dated.consent_id
        assert event.detail == {"reason": "consent_expired", "expires_on": "2026-03-10"}
        assert event.actor_id is None and event.at == JUST_AFTER


def test_reminders_cron_alone_announces_the_expiry_first(app, runner, outbox, ended, world):
    with time_machine.travel(JUST_AFTER, tick=False):
        result = runner.invoke(args=["reminders", "send"])
        assert result.exit_code == 0, result.output
        assert "1 family link(s) ended" in result.output and "1 reminder(s) queued" in result.output
        assert [c["user_ids"] for c in ended] == [[world["jordan"].id]]
        assert _reminders(outbox) == ["riley@example.org"]
        assert runner.invoke(args=["reminders", "send"]).output.startswith("0 reminder(s) queued")
        assert len(ended) == 1


def test_expired_consent_pending_invitations_are_cancelled(app, ended, world):
    from datetime import timedelta

    with time_machine.travel(JUST_AFTER, tick=False):
        invitation = Invitation(
            consent_id=world["dated"].consent_id,
            token_hash="0" * 64,
            email="jordan@example.org",
            expires_at=JUST_AFTER + timedelta(days=3),
        )
        db.session.add(invitation)
        db.session.commit()
        assert services.expire_consents() == 1
        assert db.session.get(Invitation, invitation.id).cancelled_at == JUST_AFTER


def test_enrollment_ended_without_the_form_is_swept_with_its_reason(app, ended, world):
    with time_machine.travel(LAST_MINUTES, tick=False):
        sam = world["sam"]
        sam.status = "completed"  # e.g. changed in the database by hand
        db.session.commit()
        assert services.expire_consents() == 2
        reasons = {(tuple(c["user_ids"]), c["reason"]) for c in ended}
        assert reasons == {((world["jordan"].id,), "enrollment_ended"), ((world["riley"].id,), "enrollment_ended")}
        assert services.expire_consents() == 0
        assert len(ended) == 2


def test_links_already_ended_by_discharge_or_revocation_are_not_announced_again(app, ended, world):
    with time_machine.travel(LAST_MINUTES, tick=False):
        counselor = db.session.scalar(sa.select(type(world["jordan"])).filter_by(email="casey@example.org"))
        services.revoke_consent(
            world["lasting"].consent,
            actor=counselor,
            requested_by="Sam Rivera",
            requested_on=access.consent_today(),
            method="phone",
        )
        services.end_enrollment(world["sam"], actor=counselor, status="discharged", ended_on=access.consent_today())
        db.session.expire_all()
        assert db.session.get(FamilyLink, world["dated"].id).ended_reason == "enrollment_ended"
        announced = len(ended)
    with time_machine.travel(JUST_AFTER, tick=False):
        assert services.expire_consents() == 0
        assert len(ended) == announced
