"""Inviting staff by email (the invited person sets their own password through the link)."""

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ROLE_LABELS, StaffInviteForm
from portal.auth import staff_invitations
from portal.auth.forms import ConfirmForm
from portal.auth.models import StaffInvitation
from portal.auth.sessions import reauth_required
from portal.clock import utcnow
from portal.extensions import db
from portal.security import Permission, Role, permission_required
from portal.templating import render_form

MAX_ID = 2**31 - 1


def _link(endpoint, **values):
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _page(form):
    return render_form(
        "admin/invitations.html",
        form,
        invitations=staff_invitations.recent(),
        now=utcnow(),
        confirm=ConfirmForm(),
        role_label=lambda value: ROLE_LABELS[Role(value)],
    )


@bp.get("/invitations")
@permission_required(Permission.MANAGE_USERS)
def invitations():
    return _page(StaffInviteForm())


@bp.post("/invitations")
@permission_required(Permission.MANAGE_USERS)
@reauth_required()
def invite_staff():
    form = StaffInviteForm()
    if not form.validate_on_submit():
        return _page(form)
    try:
        staff_invitations.invite_staff(
            current_user,
            form.email.data,
            form.roles.data,
            link_for=lambda token: _link("auth.staff_invitation", token=token),
            login_link=_link("auth.login"),
        )
    except staff_invitations.InvitationError as error:
        form.roles.errors.append(str(error.message))
        return _page(form)
    # The same answer whether or not the address has an account (see auth/staff_invitations.py).
    flash(
        _(
            "A message is on its way to %(email)s. If the address has no account yet, it holds the invitation "
            "link, which works once within %(days)d days.",
            email=form.email.data,
            days=current_app.config["STAFF_INVITATION_LIFETIME"].days,
        ),
        "success",
    )
    return redirect(url_for("admin.invitations"))


@bp.post("/invitations/<int:invitation_id>/cancel")
@permission_required(Permission.MANAGE_USERS)
def cancel_invitation(invitation_id):
    invitation = db.session.get(StaffInvitation, invitation_id) if invitation_id <= MAX_ID else None
    if invitation is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        staff_invitations.cancel(current_user, invitation)
    except staff_invitations.InvitationError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The invitation is cancelled; its link no longer works."), "success")
    return redirect(url_for("admin.invitations"))
