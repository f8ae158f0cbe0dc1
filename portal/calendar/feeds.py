"""iCalendar output (RFC 5545) and the secret feed address of each user.

What leaves the portal is neutral by construction, not by checking what counselors wrote: the
SUMMARY is the configured neutral title, LOCATION and DESCRIPTION are fixed text we wrote plus
the portal's own link. An address appears only when a counselor opted its series in
(`SessionSeries.address_in_feeds`); a video link never does. Both are on the session page, after
sign-in and the consent check.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event, vRecur

from portal.calendar.models import FeedToken
from portal.calendar.schedule import Occurrence, occurrences_of
from portal.clock import utcnow
from portal.extensions import db
from portal.security import hash_token

IN_PERSON = _l("In person (address in the portal)")
ONLINE = _l("Online")
DEFAULT_TITLE = "Family session"  # NEUTRAL_EVENT_TITLE's default, translated where it is shown


def neutral_title():
    """The neutral event title in the current language (a title an operator configured is kept)."""
    title = current_app.config["NEUTRAL_EVENT_TITLE"]
    return _("Family session") if title == DEFAULT_TITLE else title


def shareable_address(occurrence):
    """The address to show outside the portal, or None: only the series' own address, and only
    when the counselor opted the series in (an address changed for one date was not reviewed)."""
    series = occurrence.series
    if occurrence.telehealth or not series.address_in_feeds or not occurrence.address:
        return None
    return occurrence.address if occurrence.address == series.address else None


# --- feed tokens -------------------------------------------------------------------------------


def _derive(user_id, nonce):
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"calendar-feed:{user_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def feed_token(user):
    """The user's current feed token (created on first use); only its hash is stored."""
    row = db.session.scalar(sa.select(FeedToken).filter_by(user_id=user.id))
    if row is None:
        row = FeedToken(user_id=user.id, nonce=secrets.token_hex(16))
        db.session.add(row)
    token = _derive(user.id, row.nonce)
    if row.token_hash != hash_token(token):
        row.token_hash = hash_token(token)
        db.session.commit()
    return token


def rotate_feed_token(user):
    """A new address; the old one stops working at once."""
    row = db.session.scalar(sa.select(FeedToken).filter_by(user_id=user.id))
    if row is None:
        row = FeedToken(user_id=user.id, nonce="")
        db.session.add(row)
    row.nonce = secrets.token_hex(16)
    row.token_hash = hash_token(_derive(user.id, row.nonce))
    row.created_at = utcnow()
    db.session.commit()
    return _derive(user.id, row.nonce)


def user_for_token(token):
    """The active user whose feed this is, or None."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(sa.select(FeedToken).filter_by(token_hash=hash_token(token)))
    if row is None or not row.user.active:
        return None
    return row.user


# --- iCalendar ---------------------------------------------------------------------------------


def _uid(series):
    host = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "family-bridge.local"
    return f"session-{series.id}@{host}"


def _location(occurrence):
    if occurrence.telehealth:
        return str(ONLINE)
    return shareable_address(occurrence) or str(IN_PERSON)


def _description(portal_link):
    return _("Details and how to join, after you sign in: %(link)s", link=portal_link)


def _event(occurrence, uid, portal_link, stamp):
    zone = occurrence.series.zone
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", neutral_title())
    event.add("dtstart", occurrence.start.astimezone(zone))
    event.add("dtend", occurrence.end.astimezone(zone))
    event.add("sequence", occurrence.sequence)
    event.add("location", _location(occurrence))
    event.add("description", _description(portal_link))
    event.add("url", portal_link)
    return event


def series_events(series, portal_link, occurrence_link):
    """The master VEVENT (RRULE, EXDATE for cancellations) plus one VEVENT per changed occurrence."""
    occurrences = occurrences_of(series)
    if not occurrences:
        return []
    stamp = series.updated_at or utcnow()
    if not series.rrule:
        only = occurrences[0]
        return [] if only.cancelled else [_event(only, _uid(series), occurrence_link(only), stamp)]
    zone = series.zone
    master = _event(_plain(occurrences[0]), _uid(series), portal_link, stamp)
    master.add("rrule", vRecur.from_ical(series.rrule))
    cancelled = [o.original_start.astimezone(zone) for o in occurrences if o.cancelled]
    if cancelled:
        master.add("exdate", cancelled)
    events = [master]
    for occurrence in occurrences:
        if occurrence.changed and not occurrence.cancelled:
            event = _event(occurrence, _uid(series), occurrence_link(occurrence), stamp)
            event.add("recurrence-id", occurrence.original_start.astimezone(zone))
            events.append(event)
    return events


def _plain(first):
    """The series' first occurrence as the rule defines it, before any one-off change."""
    series = first.series
    start = series.start.astimezone(series.zone)
    return Occurrence(series, start, start, join_url=series.join_url, address=series.address, sequence=series.sequence)


def new_calendar(name=None):
    cal = Calendar()
    cal.add("prodid", "-//Family Bridge//Family sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name or neutral_title())
    return cal


def feed_calendar(series_list, portal_link, occurrence_link, refresh=timedelta(hours=6)):
    cal = new_calendar()
    cal.add("method", "PUBLISH")
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    for series in series_list:
        for event in series_events(series, portal_link(series), occurrence_link):
            cal.add_component(event)
    cal.add_missing_timezones()
    return cal


def occurrence_calendar(occurrence, link):
    """A one-event calendar for "add this session to my calendar"."""
    cal = new_calendar()
    cal.add("method", "PUBLISH")
    uid = _uid(occurrence.series).replace("session-", f"session-{occurrence.series.id}-{occurrence.key}-", 1)
    cal.add_component(_event(occurrence, uid, link, occurrence.series.updated_at or utcnow()))
    cal.add_missing_timezones()
    return cal
