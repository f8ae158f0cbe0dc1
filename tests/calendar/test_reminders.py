"""`flask reminders send` through the mail queue to a real SMTP server on loopback (aiosmtpd)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.calendar import roster
from portal.calendar.models import ReminderSent
from portal.calendar.reminders import send_due
from portal.calendar.schedule import occurrences_of
from portal.calendar.services import change_one
from portal.care import access
from portal.care.models import Consent
from portal.clock import utcnow
from portal.extensions import db
from tests.calendar.conftest import make_series
from tests.factories import link_family, make_user
from tests.support.smtp import LoopbackSMTP


@pytest.fixture
def smtp(app):
    server = LoopbackSMTP().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


def _due_time(occurrence):
    return occurrence.start - timedelta(hours=23)


def test_reminder_is_sent_once_with_neutral_subject_local_time_and_link(
    app, smtp, counselor, linked_family, series, runner
):
    linked_family.timezone = "America/Los_Angeles"
    db.session.commit()
    occ = occurrences_of(series)[0]
    roster.respond(linked_family, occ, "going")
    smtp.flush()  # the "new session" notice went through SMTP too
    assert send_due(now=_due_time(occ)) == 1
    assert send_due(now=_due_time(occ)) == 0  # idempotent
    assert len(smtp.delivered()) == 1
    message = smtp.messages[0]
    assert message["To"] == linked_family.email
    assert message["Subject"] == "Reminder: Family session"
    body = message.get_content()
    assert "3:00 PM PST (America/Los Angeles)" in body
    assert "6:00 PM EST (America/New York)" in body
    assert "video.example.org" not in body  # on the session page, after sign-in
    assert f"http://localhost/calendar/session/{series.id}/{occ.key}" in body
    for word in ("addiction", "IOP", "treatment", "Sam"):
        assert word.lower() not in (message["Subject"] + body).lower()
    assert db.session.scalar(sa.select(sa.func.count(ReminderSent.id))) == 1


def test_only_going_and_maybe_within_the_lead_time(app, smtp, counselor, sam, linked_family, series):
    maybe, no = make_user(), make_user()
    for user in (maybe, no):
        link_family(user, sam, witness=counselor)
    occ = occurrences_of(series)[0]
    roster.respond(linked_family, occ, "going")
    roster.respond(maybe, occ, "maybe")
    roster.respond(no, occ, "not_going")
    smtp.flush()
    assert send_due(now=occ.start - timedelta(hours=30)) == 0  # too early
    assert send_due(now=_due_time(occ)) == 2
    assert sorted(m["To"] for m in smtp.delivered()) == sorted([linked_family.email, maybe.email])


def test_lead_time_is_configurable(app, smtp, linked_family, series):
    app.config["REMINDER_LEAD_HOURS"] = 48
    occ = occurrences_of(series)[0]
    roster.respond(linked_family, occ, "going")
    assert send_due(now=occ.start - timedelta(hours=47)) == 1


def test_moved_session_is_reminded_at_its_new_time(app, smtp, counselor, linked_family, series):
    occ = occurrences_of(series)[1]
    roster.respond(linked_family, occ, "going")
    new_start = occ.start.astimezone(series.zone) + timedelta(days=2)
    change_one(counselor, series, occ.original_start, new_start_local=new_start)
    assert send_due(now=occ.start - timedelta(hours=23)) == 0
    assert send_due(now=new_start - timedelta(hours=23)) == 1


def test_revoked_family_member_gets_no_reminder_and_no_feed_entries(
    app, client, smtp, counselor, sam, linked_family, series
):
    from icalendar import Calendar

    from portal.calendar.feeds import feed_token

    occ = occurrences_of(series)[0]
    roster.respond(linked_family, occ, "going")
    path = f"/calendar/feed/{feed_token(linked_family)}.ics"
    consent = db.session.scalar(sa.select(Consent).filter_by(client_id=sam.id))
    consent.revoked_at = utcnow()
    db.session.commit()
    access.consent_ended.send(
        app, client_id=sam.id, consent_id=consent.id, user_ids=[linked_family.id], reason="revoked"
    )
    smtp.flush()
    assert send_due(now=_due_time(occ)) == 0
    assert smtp.delivered() == []
    assert list(Calendar.from_ical(client.get(path).data).walk("VEVENT")) == []
    from portal.calendar.models import RSVP

    assert db.session.scalar(sa.select(sa.func.count(RSVP.id))) == 0  # the reply was dropped


def test_consent_ended_even_without_signal_means_no_reminder(app, smtp, sam, linked_family, series):
    occ = occurrences_of(series)[0]
    roster.respond(linked_family, occ, "going")
    consent = db.session.scalar(sa.select(Consent).filter_by(client_id=sam.id))
    consent.expires_on = (utcnow() - timedelta(days=2)).date()
    db.session.commit()
    assert send_due(now=_due_time(occ)) == 0


def test_consent_ended_promotes_the_waitlist(app, counselor, sam, linked_family):
    small = make_series(counselor, client=sam, capacity=1, count=2)
    other = make_user()
    link_family(other, sam, witness=counselor)
    occ = occurrences_of(small)[0]
    roster.respond(linked_family, occ, "going")
    waiting = roster.respond(other, occ, "going")
    consent = access.link_for_client(linked_family, sam.id).consent
    consent.revoked_at = utcnow()
    db.session.commit()
    access.consent_ended.send(
        app, client_id=sam.id, consent_id=consent.id, user_ids=[linked_family.id], reason="revoked"
    )
    db.session.refresh(waiting)
    assert waiting.holds_seat


def test_cli_command(app, smtp, runner, linked_family, series):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "reminder(s) queued" in result.output


def test_in_person_reminder_hides_a_revealing_address(app, smtp, counselor, sam, linked_family):
    series = make_series(counselor, client=sam, mode="in_person", address="Addiction Clinic, 5 Oak Rd")
    occ = occurrences_of(series)[0]
    roster.respond(linked_family, occ, "going")
    smtp.flush()
    send_due(now=_due_time(occ))
    assert "Addiction" not in smtp.delivered()[0].get_content()


HOSTILE_ADDRESS = "Narcotics Anonymous Hall, 12 Main St"
HOSTILE_LINK = "https://sunrise-addiction-center.example/room"


def _reminder_for(smtp, linked_family, series):
    occ = occurrences_of(series)[0]
    roster.respond(linked_family, occ, "going")
    smtp.flush()
    assert send_due(now=_due_time(occ)) == 1
    message = smtp.delivered()[0]
    return occ, message["Subject"] + "\n" + message.get_content()


@pytest.mark.parametrize(
    "fields",
    [
        {"mode": "in_person", "address": HOSTILE_ADDRESS},
        {"mode": "telehealth", "join_url": HOSTILE_LINK},
        {"mode": "telehealth", "join_url": HOSTILE_LINK, "address_in_feeds": True},
    ],
)
def test_reminders_carry_only_neutral_text_the_time_and_the_portal_link(
    app, smtp, counselor, sam, linked_family, fields
):
    series = make_series(counselor, client=sam, **fields)
    occ, text = _reminder_for(smtp, linked_family, series)
    for revealing in ("Narcotics", "12 Main St", "sunrise-addiction-center"):
        assert revealing.lower() not in text.lower(), revealing
    assert f"http://localhost/calendar/session/{series.id}/{occ.key}" in text
    assert "6:00 PM EST" in text


def test_an_opted_in_series_shows_its_address_in_reminders(app, smtp, counselor, sam, linked_family):
    series = make_series(counselor, client=sam, mode="in_person", address=HOSTILE_ADDRESS, address_in_feeds=True)
    _, text = _reminder_for(smtp, linked_family, series)
    assert f"Where: {HOSTILE_ADDRESS}" in text


def test_session_notices_never_carry_the_address_or_link(app, smtp, counselor, sam, linked_family):
    series = make_series(counselor, client=sam, mode="in_person", address=HOSTILE_ADDRESS)
    occ = occurrences_of(series)[1]
    change_one(counselor, series, occ.original_start, address=HOSTILE_ADDRESS + " (back room)")
    online = make_series(counselor, client=sam, join_url=HOSTILE_LINK)
    change_one(counselor, online, occurrences_of(online)[1].original_start, join_url=HOSTILE_LINK + "/2")
    assert len(smtp.delivered()) >= 4  # two "new", two "changed"
    for message in smtp.messages:
        text = message["Subject"] + message.get_content()
        for revealing in ("Narcotics", "12 Main St", "sunrise-addiction-center"):
            assert revealing.lower() not in text.lower(), revealing
        assert "http://localhost/calendar/" in text
