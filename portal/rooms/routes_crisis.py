"""Crisis posts for staff: the item an on-call email links to, and the on-call lists."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from portal import audit
from portal.auth.services import find_user_by_email
from portal.care.models import Program
from portal.extensions import db
from portal.rooms import access, bp, crisis, moderation
from portal.rooms.forms import DismissForm, ModerateForm, OnCallForm
from portal.rooms.models import CrisisAlert, OnCall
from portal.rooms.services import public_name
from portal.security import Permission, permission_required
from portal.templating import render_form

moderator_only = permission_required(Permission.MODERATE)
MAX_ID = 2**31 - 1


def _staff_only():
    if not current_user.is_staff:
        abort(403)


@bp.get("/console/crisis/<int:alert_id>")
@login_required
def crisis_item(alert_id):
    """The item an on-call email links to: any staff member on the list may open it;
    releasing or hiding the post is for moderators (the same forms as the queue)."""
    _staff_only()
    alert = db.session.get(CrisisAlert, alert_id) if alert_id <= MAX_ID else None
    if alert is None:
        abort(404)
    return render_template(
        "rooms/crisis_item.html",
        alert=alert,
        message=alert.message,
        form=ModerateForm(formdata=None),
        handled=DismissForm(),
        public_name=public_name,
        is_moderator=access.is_moderator(current_user),
        may_suspend=lambda user: moderation.may_suspend(current_user, user),
    )


@bp.post("/console/crisis/<int:alert_id>/handled")
@login_required
def crisis_handled(alert_id):
    """ "I am handling this": stops the escalation (the post stays held until a moderator acts)."""
    _staff_only()
    alert = db.session.get(CrisisAlert, alert_id) if alert_id <= MAX_ID else None
    if alert is None:
        abort(404)
    if DismissForm().validate_on_submit():
        crisis.mark_handled(current_user._get_current_object(), alert.message, "taken")
        db.session.commit()
        flash(_("Thank you. The others on call will not be alerted again for this post."), "success")
    return redirect(url_for("rooms.crisis_item", alert_id=alert.id))


def _program_choices(form):
    programs = db.session.scalars(sa.select(Program).order_by(Program.name)).all()
    form.program_id.choices = [SelectChoice(0, _("Rooms open to all families"))] + [
        SelectChoice(p.id, p.name) for p in programs
    ]
    return {p.id: p for p in programs}


@bp.route("/console/on-call", methods=["GET", "POST"])
@moderator_only
def on_call():
    form = OnCallForm()
    programs = _program_choices(form)
    if form.validate_on_submit():
        person = find_user_by_email(form.email.data)
        program_id = form.program_id.data or None
        if person is None or not person.is_staff or not person.active:
            form.email.errors.append(_("Only an active staff account can be on call."))
        elif program_id is not None and program_id not in programs:
            form.program_id.errors.append(_("Choose from the list."))
        elif db.session.scalar(sa.select(OnCall.id).filter_by(program_id=program_id, user_id=person.id)):
            form.email.errors.append(_("This person is already on this list."))
        else:
            row = OnCall(
                program_id=program_id, user_id=person.id, backup=form.backup.data, position=form.position.data or 0
            )
            db.session.add(row)
            db.session.flush()
            audit.record("crisis.on_call_added", object_type="room_on_call", object_id=row.id)
            db.session.commit()
            flash(_("Added to the on-call list."), "success")
            return redirect(url_for("rooms.on_call"))
    rows = db.session.scalars(sa.select(OnCall).order_by(OnCall.program_id, OnCall.backup, OnCall.position)).all()
    return render_form("rooms/on_call.html", form, rows=rows, remove=DismissForm(), open_alerts=crisis.open_alerts())


@bp.post("/console/on-call/<int:row_id>/remove")
@moderator_only
def on_call_remove(row_id):
    row = db.session.get(OnCall, row_id) if row_id <= MAX_ID else None
    if row is None:
        abort(404)
    if DismissForm().validate_on_submit():
        audit.record("crisis.on_call_removed", object_type="room_on_call", object_id=row.id)
        db.session.delete(row)
        db.session.commit()
        flash(_("Removed from the on-call list."), "success")
    return redirect(url_for("rooms.on_call"))
