"""Counselor pages: post a series (with a preview), change one / following / all, roster, attendance."""

from datetime import datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.auth.models import User
from portal.calendar import bp, recurrence, roster
from portal.calendar.forms import AllForm, CancelForm, ChangeOneForm, ConfirmForm, FollowingForm, SeriesForm
from portal.calendar.models import AttendanceStatus, SessionSeries
from portal.calendar.schedule import (
    find_occurrence,
    linked_family,
    managed_client_ids,
    managed_program_ids,
    managed_series,
    occurrences_in,
    occurrences_of,
    upcoming_window,
)
from portal.calendar.services import (
    CalendarError,
    SeriesDetails,
    SeriesTiming,
    cancel_one,
    change_following,
    change_one,
    create_series,
    series_chain,
    update_all,
)
from portal.calendar.views import counselor_panel
from portal.care.models import Client, Program, program_counselors
from portal.clock import utcnow
from portal.extensions import db
from portal.main.dashboard import register_panel
from portal.security import Permission, permission_required
from portal.templating import form_status, render_form


def load_managed_series(series_id):
    """A series the current counselor manages, or 404 (the same answer as a missing one)."""
    series = db.session.get(SessionSeries, series_id)
    if series is None:
        abort(404)
    if series.client_id is not None and series.client_id in managed_client_ids(current_user):
        return series
    if series.program_id is not None and series.program_id in managed_program_ids(current_user):
        return series
    abort(404)


def load_managed_occurrence(series_id, key):
    series = load_managed_series(series_id)
    original = recurrence.parse_key(key)
    occurrence = find_occurrence(series, original) if original else None
    if occurrence is None:
        abort(404)
    return occurrence


def _audience_choices():
    clients = db.session.scalars(
        sa.select(Client)
        .where(Client.id.in_(managed_client_ids(current_user) or [0]), Client.status == "active")
        .order_by(Client.full_name)
    )
    programs = db.session.scalars(
        sa.select(Program).where(Program.id.in_(managed_program_ids(current_user) or [0])).order_by(Program.name)
    )
    choices = [SelectChoice(f"client:{c.id}", _("%(name)s's family", name=c.full_name)) for c in clients]
    choices += [
        SelectChoice(f"program:{p.id}", _("All linked families in %(program)s", program=p.name)) for p in programs
    ]
    return choices


def _counselor_choices():
    programs = managed_program_ids(current_user) or [0]
    users = db.session.scalars(
        sa.select(User)
        .join(program_counselors, program_counselors.c.user_id == User.id)
        .where(program_counselors.c.program_id.in_(programs), User.id != current_user.id)
        .distinct()
        .order_by(User.display_name)
    )
    return [SelectChoice(u.id, u.display_name) for u in users]


def _details(form):
    extra = getattr(form, "counselors", None)
    counselor_ids = [current_user.id, *(extra.data or [])] if extra is not None else []
    return SeriesDetails(
        title=form.title.data,
        description=form.description.data or "",
        duration_minutes=form.duration_minutes(),
        mode=form.mode.data,
        address=(form.address.data or "").strip(),
        address_in_feeds=form.address_in_feeds.data,
        join_url=form.join_url.data or "",
        capacity=form.capacity.data,
        lesson_slugs=form.lesson_slugs(),
        counselor_ids=counselor_ids,
    )


@bp.get("/manage")
@permission_required(Permission.MANAGE_SESSIONS)
def manage():
    series_list = managed_series(current_user)
    after, before = upcoming_window(weeks=2)
    return render_template(
        "calendar/manage.html", series_list=series_list, upcoming=occurrences_in(series_list, after, before)
    )


@bp.route("/manage/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_SESSIONS)
def new_series():
    form = SeriesForm()
    form.audience.choices = _audience_choices()
    form.counselors.choices = _counselor_choices()
    preview = None
    in_past = False
    if form.validate_on_submit():
        in_past = form.first_start() < utcnow()
        if form.save.data and in_past and not form.confirm_past.data:
            form.confirm_past.errors = [
                _("The first session starts in the past. Check the date and time, or tick the box to post it anyway.")
            ]
            preview = recurrence.expand(form.first_start(), form.rrule(), limit=10)
        elif form.save.data:
            kind, _sep, target = form.audience.data.partition(":")
            try:
                series = create_series(
                    current_user,
                    _details(form),
                    SeriesTiming(form.first_start(), form.rrule()),
                    client_id=int(target) if kind == "client" else None,
                    program_id=int(target) if kind == "program" else None,
                )
            except CalendarError as error:
                form.start_time.errors = [str(error)]
            else:
                flash(_("The sessions are posted. Linked families have been told."))
                return redirect(url_for("calendar.manage_series", series_id=series.id))
        else:
            first = form.first_start()
            preview = recurrence.expand(first, form.rrule(), limit=10)
    elif request.method == "POST" and not form.audience.choices:
        flash(_("You have no clients or programs to post sessions for."), "error")
    return render_form("calendar/series_form.html", form, preview=preview, in_past=in_past)


@bp.get("/manage/<int:series_id>")
@permission_required(Permission.MANAGE_SESSIONS)
def manage_series(series_id):
    series = load_managed_series(series_id)
    return render_template(
        "calendar/manage_series.html",
        series=series,
        occurrences=occurrences_of(series),
        repeat=recurrence.describe_repeat(series.rrule),
    )


@bp.route("/manage/<int:series_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_SESSIONS)
def edit_all(series_id):
    series = load_managed_series(series_id)
    managed = {s.id for s in managed_series(current_user)}
    chain = [part for part in series_chain(series) if part.id in managed]
    form = AllForm(obj=None if request.method == "POST" else _prefill(series))
    if len(chain) < 2:
        del form.whole_chain
    if form.validate_on_submit():
        if len(chain) > 1 and form.whole_chain.data:
            for part in chain:
                update_all(current_user, part, _details(form))
        else:
            update_all(current_user, series, _details(form))
        flash(_("All sessions are changed. Linked families have been told."))
        return redirect(url_for("calendar.manage_series", series_id=series.id))
    parts = [(part, occurrences_of(part)[:12]) for part in chain] if len(chain) > 1 else []
    return render_form(
        "calendar/edit_form.html", form, series=series, occ=None, heading=_("Change all sessions"), chain=parts
    )


class _Prefill:
    def __init__(self, series):
        start = series.start_local
        self.title, self.description = series.title, series.description_md
        self.start_time, self.end_time = start.time(), (start + series.duration).time()
        self.duration, self.mode, self.address = series.duration_minutes, series.mode, series.address
        self.join_url, self.capacity = series.join_url, series.capacity
        self.address_in_feeds = series.address_in_feeds
        self.lessons = list(series.lesson_slugs or [])


def _prefill(series):
    return _Prefill(series)


@bp.get("/manage/<int:series_id>/<key>")
@permission_required(Permission.MANAGE_SESSIONS)
def manage_occurrence(series_id, key):
    occ = load_managed_occurrence(series_id, key)
    return _occurrence_page(occ)


def _occurrence_page(occ, change_form=None, cancel_form=None, status=200):
    local = occ.start.astimezone(occ.series.zone)
    change_form = change_form or ChangeOneForm(
        new_date=local.date(), new_time=local.time(), join_url=occ.join_url or None, address=occ.address or None
    )
    family = linked_family(occ.series)
    rsvps = roster.rsvps_for(occ.series.id, occ.original_start)
    return render_template(
        "calendar/manage_occurrence.html",
        occ=occ,
        rsvps=rsvps,
        family=family,
        attendance=roster.attendance_for(occ.series.id, occ.original_start),
        change_form=change_form,
        cancel_form=cancel_form or CancelForm(),
        attendance_form=ConfirmForm(),
        started=occ.start <= utcnow(),
        statuses=list(AttendanceStatus),
    ), status


@bp.post("/manage/<int:series_id>/<key>/change")
@permission_required(Permission.MANAGE_SESSIONS)
def change_occurrence(series_id, key):
    occ = load_managed_occurrence(series_id, key)
    form = ChangeOneForm()
    if not form.validate_on_submit():
        return _occurrence_page(occ, change_form=form, status=form_status(form))
    new_start = None
    if form.new_date.data and form.new_time.data:
        new_start = datetime.combine(form.new_date.data, form.new_time.data, tzinfo=occ.series.zone)
        if new_start == occ.start.astimezone(occ.series.zone):
            new_start = None
    try:
        change_one(
            current_user,
            occ.series,
            occ.original_start,
            new_start_local=new_start,
            join_url=form.join_url.data or None,
            address=(form.address.data or "").strip() or None,
        )
    except CalendarError as error:
        form.new_time.errors = [str(error)]
        return _occurrence_page(occ, change_form=form, status=form_status(form))
    flash(_("The session is changed. Linked families have been told."))
    return redirect(url_for("calendar.manage_occurrence", series_id=series_id, key=key))


@bp.post("/manage/<int:series_id>/<key>/cancel")
@permission_required(Permission.MANAGE_SESSIONS)
def cancel_occurrence(series_id, key):
    occ = load_managed_occurrence(series_id, key)
    form = CancelForm()
    if not form.validate_on_submit():
        return _occurrence_page(occ, cancel_form=form, status=form_status(form))
    try:
        cancel_one(current_user, occ.series, occ.original_start, form.reason.data)
    except CalendarError as error:
        flash(str(error), "error")
    else:
        flash(_("The session is cancelled. Linked families have been told."))
    return redirect(url_for("calendar.manage_occurrence", series_id=series_id, key=key))


@bp.route("/manage/<int:series_id>/<key>/following", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_SESSIONS)
def edit_following(series_id, key):
    occ = load_managed_occurrence(series_id, key)
    form = FollowingForm(obj=None if request.method == "POST" else _prefill(occ.series))
    if form.validate_on_submit():
        try:
            target = change_following(
                current_user, occ.series, occ.original_start, _details(form), form.start_time.data
            )
        except CalendarError as error:
            form.start_time.errors = [str(error)]
        else:
            flash(_("This and the following sessions are changed. Linked families have been told."))
            return redirect(url_for("calendar.manage_series", series_id=target.id))
    return render_form(
        "calendar/edit_form.html",
        form,
        series=occ.series,
        occ=occ,
        heading=_("Change this and following sessions"),
    )


@bp.post("/manage/<int:series_id>/<key>/attendance")
@permission_required(Permission.MANAGE_SESSIONS)
def mark_attendance(series_id, key):
    occ = load_managed_occurrence(series_id, key)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    allowed = set(linked_family(occ.series))
    statuses = {}
    for name, value in request.form.items():
        if name.startswith("status-"):
            user_id = name.removeprefix("status-")
            if not user_id.isdigit() or value not in {"", *AttendanceStatus}:
                abort(400)
            statuses[int(user_id)] = value
    try:
        roster.mark_attendance(current_user, occ, statuses, allowed)
    except CalendarError as error:
        flash(str(error), "error")
    else:
        flash(_("Attendance saved."))
    return redirect(url_for("calendar.manage_occurrence", series_id=series_id, key=key))


@register_panel
def today_panel(user):
    if not user.can(Permission.MANAGE_SESSIONS):
        return None
    return counselor_panel(user)
