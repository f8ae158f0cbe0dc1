"""Family pages: agenda, month, occurrence, RSVP, .ics, the subscription feed, notices."""

import calendar as stdcalendar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import lazyload

from portal.calendar import bp, feeds, roster
from portal.calendar.forms import ConfirmForm, RSVPForm
from portal.calendar.models import RSVP, Attendance, Notification, SessionSeries
from portal.calendar.recurrence import parse_key
from portal.calendar.schedule import (
    family_link_for_series,
    family_view,
    find_occurrence,
    occurrences_in,
    upcoming_window,
)
from portal.calendar.services import CalendarError, mark_notifications_read, notifications_for
from portal.calendar.views import lesson_items, next_session_panel, time_helpers
from portal.care import access
from portal.extensions import db
from portal.main.dashboard import register_panel
from portal.security import Permission, permission_required

bp.context_processor(time_helpers)


def load_family_occurrence(series_id, key):
    """The occurrence and the link that lets the current user see it, or 404 (never 403: no hints)."""
    original = parse_key(key)
    series = db.session.get(SessionSeries, series_id) if original else None
    link = family_link_for_series(current_user, series) if series else None
    occurrence = find_occurrence(series, original) if link else None
    if occurrence is None:
        abort(404)
    return occurrence, link


def _disclose(view, series_list, what):
    for link in view.links_used(series_list):
        access.record_disclosure(
            current_user, link, what, detail={"series": sorted(s.id for s in series_list if view.link_for(s) is link)}
        )
    db.session.commit()


def _my_rsvps(series_ids):
    if not series_ids:
        return {}
    query = (
        sa.select(RSVP)
        .where(RSVP.user_id == current_user.id, RSVP.series_id.in_(series_ids))
        .options(lazyload(RSVP.user))  # the reader's own answers: no need to join (and reload) the reader
    )
    rows = db.session.scalars(query)
    return {(r.series_id, r.occurrence_start): r for r in rows}


@bp.get("/")
@permission_required(Permission.SEE_FAMILY)
def agenda():
    view = family_view(current_user)
    after, before = upcoming_window(weeks=8)
    occurrences = occurrences_in(view.series, after, before)
    zone = ZoneInfo(current_user.timezone)
    days = {}
    for o in occurrences:
        days.setdefault(o.start.astimezone(zone).date(), []).append(o)
    html = render_template(
        "calendar/agenda.html",
        days=list(days.items()),
        rsvps=_my_rsvps({o.series.id for o in occurrences}),
        unread=_unread_count(view),
    )
    _disclose(view, {o.series for o in occurrences}, "calendar_agenda")  # after rendering: commit expires rows
    return html


def _month_param(raw):
    try:
        first = datetime.strptime(raw, "%Y-%m").date() if raw else None
    except ValueError:
        first = None
    today = datetime.now(ZoneInfo(current_user.timezone)).date()
    if first is None or not (2000 <= first.year <= 2100):
        first = today.replace(day=1)
    return first, today


@bp.get("/month")
@permission_required(Permission.SEE_FAMILY)
def month():
    first, today = _month_param(request.args.get("month", "", type=str)[:10])
    zone = ZoneInfo(current_user.timezone)
    weeks = stdcalendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month)
    start = datetime.combine(weeks[0][0], datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    view = family_view(current_user)
    occurrences = occurrences_in(view.series, start, end)
    by_day = {}
    for occurrence in occurrences:
        by_day.setdefault(occurrence.start.astimezone(zone).date(), []).append(occurrence)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    html = render_template(
        "calendar/month.html",
        first=first,
        weeks=weeks,
        by_day=by_day,
        today=today,
        prev_month=prev_month,
        next_month=next_month,
    )
    _disclose(view, {o.series for o in occurrences}, "calendar_month")
    return html


def _week_param(raw):
    """The Sunday starting the asked week (YYYY-MM-DD, any day of it), else this week's."""
    today = datetime.now(ZoneInfo(current_user.timezone)).date()
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date() if raw else today
    except ValueError:
        day = today
    if not (2000 <= day.year <= 2100):
        day = today
    return day - timedelta(days=(day.weekday() + 1) % 7), today


@bp.get("/week")
@permission_required(Permission.SEE_FAMILY)
def week():
    first, today = _week_param(request.args.get("week", "", type=str)[:10])
    zone = ZoneInfo(current_user.timezone)
    days = [first + timedelta(days=n) for n in range(7)]
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=7), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    view = family_view(current_user)
    occurrences = occurrences_in(view.series, start, end)
    by_day = {}
    for occurrence in occurrences:
        by_day.setdefault(occurrence.start.astimezone(zone).date(), []).append(occurrence)
    html = render_template(
        "calendar/week.html",
        first=first,
        days=days,
        by_day=by_day,
        today=today,
        prev_week=first - timedelta(days=7),
        next_week=first + timedelta(days=7),
        rsvps=_my_rsvps({o.series.id for o in occurrences}),
    )
    _disclose(view, {o.series for o in occurrences}, "calendar_week")
    return html


@bp.get("/session/<int:series_id>/<key>")
@login_required
def occurrence(series_id, key):
    if current_user.can(Permission.MANAGE_SESSIONS) and not current_user.can(Permission.SEE_FAMILY):
        # Email links point here; staff land on their own page for the session (which authorizes them).
        return redirect(url_for("calendar.manage_occurrence", series_id=series_id, key=key))
    occ, link = load_family_occurrence(series_id, key)
    access.record_disclosure(
        current_user, link, "calendar_session", detail={"series": series_id, "occurrence": occ.key}
    )
    db.session.commit()
    rsvp = roster.rsvp_of(current_user, series_id, occ.original_start)
    form = RSVPForm(response=rsvp.response if rsvp else None)
    attendance = None
    if access.may_see_attendance(current_user, link.client_id):
        attendance = db.session.scalar(
            sa.select(Attendance).filter_by(
                series_id=series_id, occurrence_start=occ.original_start, user_id=current_user.id
            )
        )
    seats = roster.seats_taken(series_id, occ.original_start)
    return render_template(
        "calendar/occurrence.html",
        occ=occ,
        rsvp=rsvp,
        form=form,
        attendance=attendance,
        seats=seats,
        lessons=lesson_items(occ.series.lesson_slugs, current_user),
    )


@bp.post("/session/<int:series_id>/<key>/rsvp")
@permission_required(Permission.SEE_FAMILY)
def rsvp(series_id, key):
    occ, _link = load_family_occurrence(series_id, key)
    form = RSVPForm()
    if not form.validate_on_submit():
        flash(_("Please choose going, maybe or not going."), "error")
        return redirect(url_for("calendar.occurrence", series_id=series_id, key=key))
    try:
        saved = roster.respond(current_user, occ, form.response.data)
    except CalendarError as error:
        flash(str(error), "error")
    else:
        flash(
            _("You are on the waitlist. We will let you know if a place opens up.")
            if saved.waitlisted
            else _("Thank you, your reply is saved.")
        )
    return redirect(url_for("calendar.occurrence", series_id=series_id, key=key))


@bp.get("/session/<int:series_id>/<key>.ics")
@permission_required(Permission.SEE_FAMILY)
def occurrence_ics(series_id, key):
    occ, link = load_family_occurrence(series_id, key)
    if occ.cancelled:
        abort(404)
    access.record_disclosure(current_user, link, "calendar_ics", detail={"series": series_id, "occurrence": occ.key})
    db.session.commit()
    cal = feeds.occurrence_calendar(occ, url_for("calendar.occurrence", series_id=series_id, key=key, _external=True))
    return _ics_response(cal, "family-session.ics")


def _ics_response(cal, filename):
    response = Response(cal.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/subscribe")
@permission_required(Permission.SEE_FAMILY)
def subscribe():
    token = feeds.feed_token(current_user)
    feed_url = url_for("calendar.feed", token=token, _external=True)
    return render_template(
        "calendar/subscribe.html", feed_url=feed_url, form=ConfirmForm(), neutral_title=feeds.neutral_title()
    )


@bp.post("/subscribe/rotate")
@permission_required(Permission.SEE_FAMILY)
def rotate_feed():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    feeds.rotate_feed_token(current_user)
    flash(_("Your calendar has a new address. The old address no longer works."))
    return redirect(url_for("calendar.subscribe"))


@bp.get("/feed/<token>.ics")
def feed(token):
    """The personal subscription feed: no login, a secret address, consent checked on every fetch."""
    user = feeds.user_for_token(token)
    if user is None or not user.can(Permission.SEE_FAMILY):
        return Response("Not found\n", status=404, mimetype="text/plain")
    view = family_view(user)
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    with force_locale(user.locale or "en"):  # the subscriber's language, whoever fetches it
        cal = feeds.feed_calendar(
            view.series,
            portal_link=lambda series: base + url_for("calendar.agenda"),
            occurrence_link=lambda o: base + url_for("calendar.occurrence", series_id=o.series.id, key=o.key),
        )
        body = cal.to_ical()
    for link in view.links_used(view.series):
        access.record_disclosure(
            user,
            link,
            "calendar_feed",
            detail={"series": sorted(s.id for s in view.series if view.link_for(s) is link)},
        )
    db.session.commit()
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/notifications")
@permission_required(Permission.SEE_FAMILY)
def notifications():
    view = family_view(current_user)
    visible = {s.id: s for s in view.series}
    items = [n for n in notifications_for(current_user, limit=50) if n.series_id in visible]
    html = render_template("calendar/notifications.html", items=items, series=visible, form=ConfirmForm())
    _disclose(view, {visible[n.series_id] for n in items}, "calendar_notifications")
    return html


@bp.post("/notifications/read")
@permission_required(Permission.SEE_FAMILY)
def notifications_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mark_notifications_read(current_user)
    return redirect(url_for("calendar.notifications"))


def _unread_count(view):
    """Unread notices about sessions the user may still see (none once a consent has ended)."""
    series_ids = [s.id for s in view.series]
    if not series_ids:
        return 0
    query = sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == current_user.id,
        Notification.read_at.is_(None),
        Notification.series_id.in_(series_ids),
    )
    return db.session.scalar(query) or 0


@register_panel
def family_panel(user):
    """The family dashboard: the next session they may see."""
    if not user.can(Permission.SEE_FAMILY):
        return None
    return next_session_panel(user)
