"""Presentation helpers shared by the calendar pages and dashboard panels."""

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_date, format_datetime, format_time, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from portal.calendar import roster
from portal.calendar.models import RSVP
from portal.calendar.schedule import family_view, managed_series, occurrences_in
from portal.care import access
from portal.clock import utcnow
from portal.extensions import db
from portal.lessons import picker
from portal.lessons import services as lessons


def viewer_zone():
    return getattr(current_user, "timezone", None) or "UTC"


def when(dt, fmt="EEEE d MMMM y, h:mm a"):
    """A UTC datetime in the viewer's zone, with the zone's short name."""
    return format_datetime(dt, fmt) + " " + dt.astimezone(ZoneInfo(viewer_zone())).tzname()


def own_when(occurrence, fmt="EEEE d MMMM y, h:mm a"):
    """The occurrence's start in the session's own zone, or None when it matches the viewer's."""
    if occurrence.series.timezone == viewer_zone():
        return None
    local = occurrence.start.astimezone(occurrence.series.zone)
    return (
        format_datetime(local, fmt, rebase=False)
        + f" {local.tzname()} ({occurrence.series.timezone.replace('_', ' ')})"
    )


def current_start(series, original):
    """Where an occurrence is now (after any move), from the series' loaded overrides."""
    override = series.override_for(original)
    return override.new_start if override is not None and override.new_start is not None else original


def time_helpers():
    return {
        "cal_when": when,
        "cal_own_when": own_when,
        "cal_time": lambda dt: format_time(dt, "h:mm a"),
        "cal_day": lambda dt: format_date(dt.astimezone(ZoneInfo(viewer_zone())), "EEEE d MMMM"),
        "cal_date": lambda d: format_date(d, "EEEE d MMMM y"),
        "cal_month": lambda d: format_date(d, "MMMM y"),
        "cal_fmt": format_date,
        "current_start": current_start,
        "cal_zone": viewer_zone,
        "cal_local_date": lambda dt: dt.astimezone(ZoneInfo(viewer_zone())).date(),
    }


def lesson_items(slugs, user):
    """(title, url or None, completed or None) per recommended lesson, as far as lessons can tell.

    Lessons are referred to by slug only; titles and completion come from portal.lessons when it
    knows the lesson, otherwise the slug is shown as plain words.
    """
    items = []
    for slug in slugs or []:
        fallback = (slug.replace("-", " ").capitalize(), None, None)
        try:
            items.append(_lesson_item(slug, user) or fallback)
        except Exception:  # noqa: BLE001 — a recommendation must never break the session page
            logging.getLogger("portal.calendar").exception("lesson lookup failed")
            items.append(fallback)
    return items


def _lesson_item(slug, user):
    if slug.startswith(picker.MODULE_PREFIX):
        return _module_item(slug, user)
    lesson = lessons.find_published_lesson(slug)
    if lesson is None:
        return None
    progress = getattr(lessons, "_progress", None)
    done = None
    if progress is not None:
        row = progress(user, lesson)
        done = bool(row and row.completed_at)
    return lesson.title, url_for("lessons.lesson", slug=slug), done


def _module_item(value, user):
    """A whole module chosen as pre-work: its title, its page, done when all its lessons are."""
    module = lessons.find_published_module(value.removeprefix(picker.MODULE_PREFIX))
    if module is None:
        return None
    done = [
        bool((row := lessons._progress(user, lesson)) and row.completed_at) for lesson in lessons.module_lessons(module)
    ]
    title = _("%(title)s (the whole module)", title=module.title)
    return title, url_for("lessons.module", slug=module.slug), bool(done) and all(done)


def next_session_panel(user):
    view = family_view(user)
    now = utcnow()
    upcoming = occurrences_in(view.series, now, now + timedelta(weeks=8), include_cancelled=False)
    if not view.client_links:
        return None
    links = [
        (_("All sessions"), url_for("calendar.agenda")),
        (_("Add to your calendar"), url_for("calendar.subscribe")),
    ]
    if not upcoming:
        return {
            "title": _("Family sessions"),
            "text": _("No sessions are planned in the next 8 weeks."),
            "links": links,
        }
    first = upcoming[0]
    # one small statement, before the commit expires rows: has this person replied?
    reply = db.session.scalar(
        sa.select(RSVP.id).filter_by(series_id=first.series.id, occurrence_start=first.original_start, user_id=user.id)
    )
    link = view.link_for(first.series)
    access.record_disclosure(user, link, "calendar_dashboard", detail={"series": first.series.id})
    db.session.commit()
    text = _("Next session: %(when)s", when=when(first.start))
    if reply is None:
        text = " ".join([text, _("You have not said yet whether you will come.")])
        label = _("Reply for the next session")
    else:
        label = _("Open the next session")
    links.insert(0, (label, url_for("calendar.occurrence", series_id=first.series.id, key=first.key)))
    # what needs attention first: an unanswered invitation comes before everything but assignments
    return {"title": _("Family sessions"), "text": text, "links": links, "priority": 15 if reply is None else 20}


def counselor_panel(user):
    zone = ZoneInfo(user.timezone)
    now = utcnow()
    start_of_day = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    end_of_day = start_of_day + timedelta(days=1)
    today = occurrences_in(managed_series(user), start_of_day, end_of_day, include_cancelled=False)
    links = [
        (
            f"{when(o.start, 'h:mm a')} · {o.series.shown_title} · {_replies(o)}",
            url_for("calendar.manage_occurrence", series_id=o.series.id, key=o.key),
        )
        for o in today[:8]
    ]
    links.append((_("All family sessions"), url_for("calendar.manage")))
    text = (
        _("No family sessions today.")
        if not today
        else ngettext("%(num)d family session today.", "%(num)d family sessions today.", len(today))
    )
    panel = {"title": _("Today's family sessions"), "text": text, "links": links}
    if today:
        panel["priority"] = 25  # today's sessions and their replies come before the general panels
    return panel


def _replies(occurrence):
    """How many said they will come (and wait for a place), for a counselor's glance."""
    rows = roster.rsvps_for(occurrence.series.id, occurrence.original_start)
    coming = sum(1 for r in rows if r.holds_seat)
    waiting = sum(1 for r in rows if r.waits_for_seat)
    text = ngettext("%(num)d coming", "%(num)d coming", coming)
    if waiting:
        text = " ".join([text, ngettext("(%(num)d waiting)", "(%(num)d waiting)", waiting)])
    return text
