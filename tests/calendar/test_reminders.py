"""`flask reminders send` through a real SMTP server on loopback (aiosmtpd)."""

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

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


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield inbox
    controller.stop()


def _due_time(occurrence):
    return occurrence.start - timedelta(hours=23)


def test_reminder_is_sent_once_with_neutral_subject_local_time_and_link(app, smtp, counselor, family, series, runner):
    family.timezone = "America/Los_Angeles"
    db.session.commit()
    occ = occurrences_of(series)[0]
    roster.respond(family, occ, "going")
    smtp.messages.clear()  # the "new session" notice went through SMTP too
    assert send_due(now=_due_time(occ)) == 1
    assert send_due(now=_due_time(occ)) == 0  # idempotent
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == family.email
    assert message["Subject"] == "Reminder: Family session"
    body = message.get_content()
    assert "3:00 PM PST (America/Los Angeles)" in body
    assert "6:00 PM EST (America/New York)" in body
    assert "video.example.org" not in body  # on the session page, after sign-in
    assert f"http://localhost/calendar/session/{series.id}/{occ.key}" in body
    for word in ("addiction", "IOP", "treatment", "Sam"):
        assert word.lower() not in (message["Subject"] + body).lower()
    assert db.session.scalar(sa.select(sa.func.count(ReminderSent.id))) == 1


def test_only_going_and_maybe_within_the_lead_time(app, smtp, counselor, client_record, family, series):
    maybe, no = make_user(), make_user()
    for user in (maybe, no):
        link_family(user, client_record, witness=counselor)
    occ = occurrences_of(series)[0]
    roster.respond(family, occ, "going")
    roster.respond(maybe, occ, "maybe")
    roster.respond(no, occ, "not_going")
    smtp.messages.clear()
    assert send_due(now=occ.start - timedelta(hours=30)) == 0  # too early
    assert send_due(now=_due_time(occ)) == 2
    assert sorted(m["To"] for m in smtp.messages) == sorted([family.email, maybe.email])


def test_lead_time_is_configurable(app, smtp, family, series):
    app.config["REMINDER_LEAD_HOURS"] = 48
    occ = occurrences_of(series)[0]
    roster.respond(family, occ, "going")
    assert send_due(now=occ.start - timedelta(hours=47)) == 1


def test_moved_session_is_reminded_at_its_new_time(app, smtp, counselor, family, series):
    occ = occurrences_of(series)[1]
    roster.respond(family, occ, "going")
    new_start = occ.start.astimezone(series.zone) + timedelta(days=2)
    change_one(counselor, series, occ.original_start, new_start_local=new_start)
    assert send_due(now=occ.start - timedelta(hours=23)) == 0
    assert send_due(now=new_start - timedelta(hours=23)) == 1


def test_revoked_family_member_gets_no_reminder_and_no_feed_entries(
    app, client, smtp, counselor, client_record, family, series
):
    from icalendar import Calendar

    from portal.calendar.feeds import feed_token

    occ = occurrences_of(series)[0]
    roster.respond(family, occ, "going")
    path = f"/calendar/feed/{feed_token(family)}.ics"
    consent = db.session.scalar(sa.select(Consent).filter_by(client_id=client_record.id))
    consent.revoked_at = utcnow()
    db.session.commit()
    access.consent_ended.send(
        app, client_id=client_record.id, consent_id=consent.id, user_ids=[family.id], reason="revoked"
    )
    smtp.messages.clear()
    assert send_due(now=_due_time(occ)) == 0
    assert smtp.messages == []
    assert list(Calendar.from_ical(client.get(path).data).walk("VEVENT")) == []
    from portal.calendar.models import RSVP

    assert db.session.scalar(sa.select(sa.func.count(RSVP.id))) == 0  # the reply was dropped


def test_consent_ended_even_without_signal_means_no_reminder(app, smtp, client_record, family, series):
    occ = occurrences_of(series)[0]
    roster.respond(family, occ, "going")
    consent = db.session.scalar(sa.select(Consent).filter_by(client_id=client_record.id))
    consent.expires_on = (utcnow() - timedelta(days=2)).date()
    db.session.commit()
    assert send_due(now=_due_time(occ)) == 0


def test_consent_ended_promotes_the_waitlist(app, counselor, client_record, family):
    small = make_series(counselor, client=client_record, capacity=1, count=2)
    other = make_user()
    link_family(other, client_record, witness=counselor)
    occ = occurrences_of(small)[0]
    roster.respond(family, occ, "going")
    waiting = roster.respond(other, occ, "going")
    consent = access.link_for_client(family, client_record.id).consent
    consent.revoked_at = utcnow()
    db.session.commit()
    access.consent_ended.send(
        app, client_id=client_record.id, consent_id=consent.id, user_ids=[family.id], reason="revoked"
    )
    db.session.refresh(waiting)
    assert waiting.holds_seat


def test_cli_command(app, smtp, runner, family, series):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "reminder(s) sent" in result.output


def test_in_person_reminder_hides_a_revealing_address(app, smtp, counselor, client_record, family):
    series = make_series(counselor, client=client_record, mode="in_person", address="Addiction Clinic, 5 Oak Rd")
    occ = occurrences_of(series)[0]
    roster.respond(family, occ, "going")
    smtp.messages.clear()
    send_due(now=_due_time(occ))
    assert "Addiction" not in smtp.messages[0].get_content()


HOSTILE_ADDRESS = "Narcotics Anonymous Hall, 12 Main St"
HOSTILE_LINK = "https://sunrise-addiction-center.example/room"


def _reminder_for(smtp, family, series):
    occ = occurrences_of(series)[0]
    roster.respond(family, occ, "going")
    smtp.messages.clear()
    assert send_due(now=_due_time(occ)) == 1
    message = smtp.messages[0]
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
    app, smtp, counselor, client_record, family, fields
):
    series = make_series(counselor, client=client_record, **fields)
    occ, text = _reminder_for(smtp, family, series)
    for revealing in ("Narcotics", "12 Main St", "sunrise-addiction-center"):
        assert revealing.lower() not in text.lower(), revealing
    assert f"http://localhost/calendar/session/{series.id}/{occ.key}" in text
    assert "6:00 PM EST" in text


def test_an_opted_in_series_shows_its_address_in_reminders(app, smtp, counselor, client_record, family):
    series = make_series(
        counselor, client=client_record, mode="in_person", address=HOSTILE_ADDRESS, address_in_feeds=True
    )
    _, text = _reminder_for(smtp, family, series)
    assert f"Where: {HOSTILE_ADDRESS}" in text


def test_session_notices_never_carry_the_address_or_link(app, smtp, counselor, client_record, family):
    series = make_series(counselor, client=client_record, mode="in_person", address=HOSTILE_ADDRESS)
    occ = occurrences_of(series)[1]
    change_one(counselor, series, occ.original_start, address=HOSTILE_ADDRESS + " (back room)")
    online = make_series(counselor, client=client_record, join_url=HOSTILE_LINK)
    change_one(counselor, online, occurrences_of(online)[1].original_start, join_url=HOSTILE_LINK + "/2")
    assert len(smtp.messages) >= 4  # two "new", two "changed"
    for message in smtp.messages:
        text = message["Subject"] + message.get_content()
        for revealing in ("Narcotics", "12 Main St", "sunrise-addiction-center"):
            assert revealing.lower() not in text.lower(), revealing
        assert "http://localhost/calendar/" in text
