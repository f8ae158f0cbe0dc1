"""Posting and changing family sessions; every change reaches the linked families."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.auth.models import User
from portal.calendar import recurrence
from portal.calendar.models import (
    RSVP,
    Attendance,
    Notification,
    NotificationKind,
    OccurrenceOverride,
    SessionSeries,
)
from portal.calendar.schedule import find_occurrence, linked_family, occurrences_of, original_starts
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.services import internal_path, notify
from portal.sanitize import markdown_to_html

log = logging.getLogger("portal.calendar")


class CalendarError(Exception):
    """A calendar rule refused the change; the message is safe to show."""


@dataclass
class SeriesDetails:
    """What a counselor can change for all occurrences (no timing)."""

    title: str
    description: str = ""
    duration_minutes: int = 60
    mode: str = "in_person"
    address: str = ""
    join_url: str = ""
    address_in_feeds: bool = False
    capacity: int | None = None
    counselor_ids: list = field(default_factory=list)
    lesson_slugs: list = field(default_factory=list)


@dataclass
class SeriesTiming:
    start_local: datetime  # aware, in the series' zone
    rrule: str = ""


def _apply_details(series, details):
    series.title = details.title.strip() or current_app.config["NEUTRAL_EVENT_TITLE"]
    series.description_md = details.description
    series.description_html = str(markdown_to_html(details.description))
    series.duration_minutes = details.duration_minutes
    series.mode = details.mode
    series.address = details.address if details.mode == "in_person" else ""
    series.join_url = details.join_url if details.mode == "telehealth" else ""
    series.address_in_feeds = bool(details.address_in_feeds) and details.mode == "in_person"
    series.capacity = details.capacity
    series.lesson_slugs = list(details.lesson_slugs)
    if details.counselor_ids:
        series.counselors = list(db.session.scalars(sa.select(User).where(User.id.in_(details.counselor_ids))))


def _audit_address_choice(actor, series, before):
    """Record a change of the series' opt-in to show its address outside the portal."""
    if bool(before) != series.address_in_feeds:
        audit.record(
            "calendar.address_in_feeds_changed",
            actor=actor,
            obj=series,
            client_id=series.client_id,
            detail={"address_in_feeds": series.address_in_feeds},
        )


def _check_timing(timing):
    try:
        recurrence.check_all_wall_times(timing.start_local, timing.rrule)
    except recurrence.LocalTimeError as error:
        raise CalendarError(wall_time_message(error)) from None


def wall_time_message(error):
    when = error.when.strftime("%Y-%m-%d %H:%M")
    if error.kind == "nonexistent":
        return _(
            "%(when)s does not exist in this time zone: the clocks skip that hour. Please choose another time.",
            when=when,
        )
    return _(
        "%(when)s happens twice in this time zone: the clocks go back that night. Please choose another time.",
        when=when,
    )


def create_series(author, details, timing, client_id=None, program_id=None, notify=True):
    """Post a new series and tell the families who may see it."""
    _check_timing(timing)
    series = SessionSeries(
        client_id=client_id,
        program_id=program_id,
        created_by_id=author.id,
        timezone=timing.start_local.tzinfo.key,
        start_local=timing.start_local.replace(tzinfo=None),
        rrule=timing.rrule,
    )
    _apply_details(series, details)
    if author not in series.counselors:
        series.counselors.append(author)
    db.session.add(series)
    db.session.flush()
    audit.record("calendar.series_created", actor=author, obj=series, client_id=client_id)
    _audit_address_choice(author, series, before=False)
    notices = _notify(series, NotificationKind.NEW) if notify else []
    db.session.commit()
    _send(notices)
    return series


def update_all(actor, series, details):
    """Change what every occurrence shares (title, place, link, capacity ...)."""
    before = series.address_in_feeds
    was = (series.join_url, series.address)
    _apply_details(series, details)
    series.touch()
    audit.record("calendar.series_changed", actor=actor, obj=series, client_id=series.client_id)
    _audit_address_choice(actor, series, before)
    compared = (("link", was[0], series.join_url), ("place", was[1], series.address))
    changes = [name for name, old, new in compared if old != new]
    notices = _notify(series, NotificationKind.CHANGED, changes=changes)
    db.session.commit()
    _send(notices)
    return series


def series_chain(series):
    """Every series split from one another by "change this and following", in date order (this
    one included; a series never split is a chain of one)."""
    root, seen = series, {series.id}
    while root.split_from_id is not None and root.split_from_id not in seen:
        parent = db.session.get(SessionSeries, root.split_from_id)
        if parent is None:
            break
        seen.add(parent.id)
        root = parent
    chain, queue = [], [root]
    while queue:
        current = queue.pop(0)
        chain.append(current)
        children = db.session.scalars(
            sa.select(SessionSeries).where(SessionSeries.split_from_id == current.id).order_by(SessionSeries.id)
        )
        queue.extend(child for child in children if child.id not in {s.id for s in chain})
    return sorted(chain, key=lambda s: s.start_local)


def _override(series, original):
    override = series.override_for(original)
    if override is None:
        override = OccurrenceOverride(series=series, original_start=original, sequence=series.sequence)
        db.session.add(override)
    override.sequence = max(override.sequence or 0, series.sequence) + 1
    override.updated_at = utcnow()
    return override


def _require_occurrence(series, original):
    occurrence = find_occurrence(series, original)
    if occurrence is None:
        raise CalendarError(_l("That session is not part of this series."))
    return occurrence


def change_one(actor, series, original, new_start_local=None, join_url=None, address=None):
    """Move one occurrence and/or give it another link or address."""
    occurrence = _require_occurrence(series, original)
    if occurrence.cancelled:
        raise CalendarError(_l("This session is cancelled; it cannot be changed."))
    override = _override(series, original)
    changes = []
    if new_start_local is not None:
        _check_timing(SeriesTiming(new_start_local))
        override.new_start = recurrence.to_utc(new_start_local)
        if override.new_start != occurrence.start:
            changes.append("time")
    if join_url is not None and series.mode == "telehealth":
        override.join_url = join_url
        if join_url != occurrence.join_url:
            changes.append("link")
    if address is not None and series.mode == "in_person":
        override.address = address
        if address != occurrence.address:
            changes.append("place")
    audit.record(
        "calendar.occurrence_changed",
        actor=actor,
        obj=series,
        client_id=series.client_id,
        detail={"occurrence": recurrence.occurrence_key(original)},
    )
    notices = _notify(series, NotificationKind.CHANGED, original, changes=changes, previous=occurrence.start)
    db.session.commit()
    _send(notices)
    return find_occurrence(series, original)


def cancel_one(actor, series, original, reason):
    """Cancel one occurrence with a reason the families will see."""
    occurrence = _require_occurrence(series, original)
    if occurrence.cancelled:
        raise CalendarError(_l("This session is already cancelled."))
    override = _override(series, original)
    override.cancelled = True
    override.cancel_reason = reason.strip()
    series.touch()  # the series' EXDATE list changes
    audit.record(
        "calendar.occurrence_cancelled",
        actor=actor,
        obj=series,
        client_id=series.client_id,
        detail={"occurrence": recurrence.occurrence_key(original)},
    )
    notices = _notify(series, NotificationKind.CANCELLED, original)
    db.session.commit()
    _send(notices)


def change_following(actor, series, original, details, start_time):
    """Change this and every later occurrence: the series ends before it, a new one carries on."""
    starts = original_starts(series)
    if original not in starts:
        raise CalendarError(_l("That session is not part of this series."))
    index = starts.index(original)
    local = original.astimezone(series.zone)
    new_first = datetime.combine(local.date(), start_time, tzinfo=series.zone)
    was = (series.start_local.time(), series.join_url, series.address)
    if index == 0:
        target, new_rule = series, series.rrule
    else:
        split = recurrence.split_rule(series.rrule, starts, index)
        parts = recurrence.rule_parts(series.rrule)
        if split.following_count is not None:
            parts["COUNT"] = str(split.following_count)
        new_rule = ";".join(f"{k}={v}" for k, v in parts.items())
        series.rrule = split.before_rule
        series.touch()
        target = SessionSeries(
            client_id=series.client_id,
            program_id=series.program_id,
            timezone=series.timezone,
            created_by_id=actor.id,
            counselors=list(series.counselors),
            sequence=0,
            split_from_id=series.id,
        )
        db.session.add(target)
    _check_timing(SeriesTiming(new_first, new_rule))
    target.start_local, target.rrule = new_first.replace(tzinfo=None), new_rule
    before = target.address_in_feeds
    _apply_details(target, details)
    if target is series:
        series.touch()
    db.session.flush()
    _audit_address_choice(actor, target, before)
    _rekey(series, target, starts[index:], original_starts(target))
    audit.record(
        "calendar.series_split",
        actor=actor,
        obj=series,
        client_id=series.client_id,
        detail={"from": recurrence.occurrence_key(original), "new_series": target.id},
    )
    changes = [
        name
        for name, old, new in (
            ("time", was[0], target.start_local.time()),
            ("link", was[1], target.join_url),
            ("place", was[2], target.address),
        )
        if old != new
    ]
    notices = _notify(target, NotificationKind.CHANGED, changes=changes)
    db.session.commit()
    _send(notices)
    return target


def _rekey(source, target, old_starts, new_starts):
    """Carry overrides, RSVPs and attendance over to the occurrences that replace them."""
    mapping = dict(zip(old_starts, new_starts, strict=False))
    for override in list(source.overrides):
        if override.original_start in mapping:
            override.series_id, override.original_start = target.id, mapping[override.original_start]
            if override.series is not target:
                source.overrides.remove(override)
                target.overrides.append(override)
    for model in (RSVP, Attendance):
        rows = db.session.scalars(
            sa.select(model).where(model.series_id == source.id, model.occurrence_start.in_(list(mapping)))
        )
        for row in rows:
            row.series_id, row.occurrence_start = target.id, mapping[row.occurrence_start]


# --- notifications -----------------------------------------------------------------------------

# The notice centre's kinds (portal/notifications) for the calendar's own.
CENTRE_KINDS = {
    NotificationKind.NEW: "session_new",
    NotificationKind.CHANGED: "session_changed",
    NotificationKind.CANCELLED: "session_cancelled",
    NotificationKind.PROMOTED: "waitlist_promoted",
}


def _next_occurrence(series):
    now = utcnow()
    upcoming = occurrences_of(series, after=now, include_cancelled=False)
    return upcoming[0] if upcoming else None


def notify_users(series, kind, users, original=None, changes=(), previous=None):
    """Notices for these users, in the calendar's list and in the notice centre (which emails
    them as each person chose: the new date and time in their zone, what changed, the link).
    The caller commits; returns what `_send` is given after the commit."""
    occurrence = find_occurrence(series, original) if original is not None else _next_occurrence(series)
    if occurrence is not None:
        url = internal_path("calendar.occurrence", series_id=series.id, key=occurrence.key)
    else:
        url = internal_path("calendar.agenda")
    notices = []
    for user in users:
        db.session.add(Notification(user_id=user.id, series_id=series.id, occurrence_start=original, kind=kind))
        notify(
            user,
            CENTRE_KINDS[kind],
            url=url,
            client_id=series.client_id,
            program_id=series.program_id,
            series_id=series.id,
            start=occurrence.start if occurrence is not None else None,
            previous=previous if "time" in changes else None,
            changes=list(changes),
        )
        notices.append((user, series.id, kind, original))
    return notices


def _notify(series, kind, original=None, changes=(), previous=None):
    links = linked_family(series)
    return notify_users(series, kind, [link.user for link in links.values()], original, changes, previous)


def external_url(endpoint, **values):
    """An absolute address on PORTAL_BASE_URL, from a request or from the command line."""
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=base):
        return base + url_for(endpoint, **values)


def _send(notices):
    """After the change is committed. The emails were queued with the notices, as each person
    chose (portal/notifications), so there is nothing left to send here; kept for callers."""
    if notices:
        db.session.commit()


def notifications_for(user, limit=20):
    query = (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def mark_notifications_read(user):
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
