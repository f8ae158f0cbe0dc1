"""Sanctions a person can see and answer: appeals (one per ban, mute or suspension), the ban
list of each room with lifting early, and the moderators' appeals queue."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.rooms import appeals, bp, moderation
from portal.rooms.errors import RoomError
from portal.rooms.forms import AppealDecisionForm, AppealForm, DismissForm
from portal.rooms.models import Appeal, AppealKind, Room, RoomRestriction
from portal.rooms.services import public_name
from portal.security import Permission, permission_required
from portal.templating import render_form

moderator_only = permission_required(Permission.MODERATE)
MAX_ID = 2**31 - 1


@bp.route("/appeal/<kind>/<int:sanction_id>", methods=["GET", "POST"])
@permission_required(Permission.CHAT)
def appeal(kind, sanction_id):
    """The person's one appeal against their own ban, mute or suspension in force."""
    me = current_user._get_current_object()
    try:
        row = appeals.sanction(me, kind, sanction_id)
    except RoomError:
        abort(404)
    existing = appeals.appeal_for(kind, row.id)
    form = AppealForm()
    if existing is None and form.validate_on_submit():
        try:
            appeals.submit(me, AppealKind(kind), row, form.reason.data)
        except RoomError as error:
            form.reason.errors.append(error.as_ack()["message"])
        else:
            flash(_("Your appeal was sent. A moderator will read it and you will get a note here."), "success")
            return redirect(url_for("rooms.appeal", kind=kind, sanction_id=row.id))
    return render_form("rooms/appeal.html", form, kind=kind, sanction=row, existing=existing)


@bp.get("/console/rooms/<slug>/sanctions")
@moderator_only
def ban_list(slug):
    room = db.session.scalar(sa.select(Room).filter_by(slug=slug[:64])) or abort(404)
    rows = db.session.scalars(
        sa.select(RoomRestriction).filter_by(room_id=room.id).order_by(RoomRestriction.created_at.desc())
    ).all()
    return render_template(
        "rooms/ban_list.html",
        room=room,
        active=[r for r in rows if r.is_active()],
        ended=[r for r in rows if not r.is_active()][:50],
        lift=DismissForm(),
        public_name=public_name,
    )


@bp.post("/console/restrictions/<int:restriction_id>/lift")
@moderator_only
def lift_restriction(restriction_id):
    row = db.session.get(RoomRestriction, restriction_id) if restriction_id <= MAX_ID else None
    if row is None:
        abort(404)
    if DismissForm().validate_on_submit():
        try:
            moderation.publish(appeals.lift_restriction(current_user._get_current_object(), row))
        except RoomError:
            flash(_("That was already lifted or has ended."), "error")
        else:
            flash(_("Lifted. The person was told."), "success")
    return redirect(url_for("rooms.ban_list", slug=row.room.slug))


@bp.get("/console/appeals")
@moderator_only
def appeal_queue():
    return render_template(
        "rooms/appeals.html",
        appeals=appeals.open_appeals(),
        sanction_of=appeals.sanction_of,
        form=AppealDecisionForm(formdata=None),
        public_name=public_name,
    )


@bp.post("/console/appeals/<int:appeal_id>")
@moderator_only
def decide_appeal(appeal_id):
    row = db.session.get(Appeal, appeal_id) if appeal_id <= MAX_ID else None
    if row is None:
        abort(404)
    form = AppealDecisionForm()
    if not form.validate_on_submit():
        flash(_("Please choose a decision; a note can be up to 300 characters."), "error")
        return redirect(url_for("rooms.appeal_queue"))
    try:
        outcome = appeals.decide(
            current_user._get_current_object(), row, form.decision.data == "lift", form.response.data or ""
        )
    except RoomError as error:
        flash(error.as_ack()["message"], "error")
        return redirect(url_for("rooms.appeal_queue"))
    moderation.publish(outcome)
    flash(_("Decided. The person was told."), "success")
    return redirect(url_for("rooms.appeal_queue"))
