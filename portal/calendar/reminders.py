"""Reminder emails before a session (`flask reminders send`, run from cron; idempotent).

Consent is checked at send time, so a family member whose consent ended gets nothing, even if
they had said they were going. The email carries the neutral title, the time and a link to the
session page; the address only when the series is opted in (feeds.shareable_address), the video
link never.
"""

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date, format_time
from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal import mail
from portal.calendar.feeds import neutral_title, shareable_address
from portal.calendar.models import RSVP, ReminderSent, Response, SessionSeries
from portal.calendar.schedule import family_link_for_series, occurrences_of
from portal.calendar.services import external_url
from portal.care.access import record_disclosure
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications import kinds as notice_kinds
from portal.notifications.services import reminder_lead, unsubscribe_links

log = logging.getLogger("portal.calendar")
KIND = "24h"  # "1 day before" (REMINDER_LEAD_HOURS); kept as the marker's kind
SHORT_KIND, SHORT_LEAD = "2h", timedelta(hours=2)
# The person's choice (portal/notifications: none, 2h, 1d, both) → the reminders they get.
WANTED = {"none": (), "2h": (SHORT_KIND,), "1d": (KIND,), "both": (KIND, SHORT_KIND)}


def due_occurrences(now, lead):
    """Occurrences (not cancelled) starting within the next `lead`."""
    series_ids = db.session.scalars(
        sa.select(RSVP.series_id)
        .distinct()
        .where(
            RSVP.response.in_([Response.GOING, Response.MAYBE]),
            RSVP.occurrence_start > now - timedelta(days=366),
        )
    )
    series_list = db.session.scalars(sa.select(SessionSeries).where(SessionSeries.id.in_(list(series_ids)))).unique()
    due = []
    for series in series_list:
        due.extend(o for o in occurrences_of(series, now, now + lead, include_cancelled=False) if o.start > now)
    return due


def send_due(now=None):
    """Email each going/maybe family member whose session starts within their lead time (1 day
    by default, REMINDER_LEAD_HOURS; 2 hours, both or none as they chose); returns the count."""
    now = now or utcnow()
    leads = {KIND: timedelta(hours=current_app.config.get("REMINDER_LEAD_HOURS", 24)), SHORT_KIND: SHORT_LEAD}
    sent = 0
    for occurrence in due_occurrences(now, max(leads.values())):
        rsvps = db.session.scalars(
            sa.select(RSVP).where(
                RSVP.series_id == occurrence.series.id,
                RSVP.occurrence_start == occurrence.original_start,
                RSVP.response.in_([Response.GOING, Response.MAYBE]),
                RSVP.waitlisted.is_(False),
            )
        )
        for rsvp in list(rsvps):
            # The nearest lead that has come is the one reminder due now (a reply made 1 hour
            # before gets the 2-hour reminder only, not the 1-day one as well).
            wanted = sorted(WANTED[reminder_lead(rsvp.user)], key=leads.get)
            due = [kind for kind in wanted if occurrence.start - now <= leads[kind]]
            if due:
                sent += _remind(rsvp.user, occurrence, now, due[0])
    return sent


def _remind(user, occurrence, now, kind=KIND):
    link = family_link_for_series(user, occurrence.series, now)
    if link is None or not user.active:
        return 0
    marker = ReminderSent(
        user_id=user.id,
        series_id=occurrence.series.id,
        occurrence_start=occurrence.original_start,
        kind=kind,
        sent_at=now,
    )
    db.session.add(marker)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return 0
    record_disclosure(
        user, link, "calendar_reminder", detail={"series": occurrence.series.id, "occurrence": occurrence.key}
    )
    try:
        _mail(user, occurrence)
    except Exception:  # noqa: BLE001 — not marked as sent, so the next run tries again
        db.session.rollback()
        log.exception("reminder not sent")
        return 0
    db.session.commit()
    return 1


def _mail(user, occurrence):
    locale = user.locale or "en"
    with mail.in_locale(locale):  # in the recipient's language
        title = neutral_title()
        preference_link, headers = unsubscribe_links(user, notice_kinds.REMINDERS)
        body = render_template(
            "email/calendar_reminder.txt",
            user=user,
            title=title,
            when=local_text(occurrence.start, user.timezone, locale),
            own_when=local_text(occurrence.start, occurrence.series.timezone, locale),
            address=shareable_address(occurrence),
            link=external_url("calendar.occurrence", series_id=occurrence.series.id, key=occurrence.key),
            preference_link=preference_link,
        )
        mail.enqueue(user.email, _("Reminder: %(title)s", title=title), body, headers=headers)


def local_text(moment, zone_name, locale="en"):
    """E.g. "Tuesday, December 8, 2026 at 6:00 PM EST" in the given zone; in Spanish (Babel's
    names and 24-hour clock) "martes, 8 de diciembre de 2026, 18:00 EST"."""
    local = moment.astimezone(ZoneInfo(zone_name))
    place = zone_name.replace("_", " ")
    if locale == "en":
        clock = local.strftime("%I:%M %p").lstrip("0")
        return f"{local:%A, %B} {local.day}, {local.year} at {clock} {local.tzname()} ({place})"
    day = format_date(local, "full", locale=locale)
    return f"{day}, {format_time(local, 'short', locale=locale)} {local.tzname()} ({place})"
