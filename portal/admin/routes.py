"""Admin pages: users and roles, deactivation, the audit log, outgoing mail. Every change is a POST, audited."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.admin import bp, services
from portal.admin import outgoing_mail as outgoing
from portal.admin.forms import AuditFilterForm, RolesForm, SearchForm
from portal.auth.forms import ConfirmForm
from portal.auth.models import User
from portal.auth.sessions import reauth_required
from portal.extensions import db
from portal.mail import OutgoingMail
from portal.main.dashboard import register_panel
from portal.paging import page_number, require_page
from portal.security import Permission, permission_required
from portal.templating import form_status


def get_user_or_404(user_id):
    """The one place admin views load a user (404 for unknown ids)."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@permission_required(Permission.MANAGE_USERS)
def users():
    form = SearchForm(request.args)
    if not form.validate():
        return render_template("admin/users.html", form=form, pagination=None), form_status(form)
    pagination = require_page(services.search_users(form.q.data, form.role.data or None, page=page_number()))
    return render_template("admin/users.html", form=form, pagination=pagination)


def _render_user(user, roles_form=None, status=200):
    roles_form = roles_form or RolesForm(formdata=None, roles=sorted(r.value for r in user.roles))
    sessions = services.live_session_count(user)
    return render_template(
        "admin/user_detail.html", user=user, roles_form=roles_form, sessions=sessions, confirm=ConfirmForm()
    ), status


@bp.get("/users/<int:user_id>")
@permission_required(Permission.MANAGE_USERS)
def user_detail(user_id):
    return _render_user(get_user_or_404(user_id))


@bp.post("/users/<int:user_id>/roles")
@permission_required(Permission.MANAGE_USERS)
@reauth_required()
def set_roles(user_id):
    user = get_user_or_404(user_id)
    form = RolesForm()
    if not form.validate():
        return _render_user(user, form, status=form_status(form))
    try:
        services.set_roles(current_user, user, form.roles.data)
    except services.AdminError as error:
        form.roles.errors.append(str(error))
        return _render_user(user, form, status=409)
    flash(_("Roles saved for %(name)s.", name=user.display_name), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _account_change(user_id, change, done_message):
    user = get_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        change(current_user, user)
    except services.AdminError as error:
        flash(str(error), "error")
        return _render_user(user, status=409)
    flash(done_message % {"name": user.display_name}, "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/deactivate")
@permission_required(Permission.MANAGE_USERS)
@reauth_required()
def deactivate(user_id):
    return _account_change(user_id, services.deactivate, _("%(name)s is deactivated and signed out everywhere."))


@bp.post("/users/<int:user_id>/reactivate")
@permission_required(Permission.MANAGE_USERS)
@reauth_required()
def reactivate(user_id):
    return _account_change(user_id, services.reactivate, _("%(name)s can sign in again."))


@bp.post("/users/<int:user_id>/reset-two-step")
@permission_required(Permission.MANAGE_USERS)
@reauth_required()
def reset_two_step(user_id):
    return _account_change(
        user_id,
        services.reset_two_step,
        _("Two-step sign-in is reset for %(name)s, who is signed out everywhere and was told by email."),
    )


@bp.get("/audit")
@permission_required(Permission.VIEW_AUDIT)
def audit_log():
    form = AuditFilterForm(request.args)
    if not form.validate():
        return render_template("admin/audit.html", form=form, pagination=None, users={}), form_status(form)
    pagination = require_page(services.audit_events(form.data, current_user.timezone, page=page_number()))
    users = services.users_by_id(e.actor_id for e in pagination.items)
    return render_template(
        "admin/audit.html", form=form, pagination=pagination, users=users, safe_detail=services.safe_detail
    )


@bp.get("/mail")
@permission_required(Permission.MANAGE_USERS)
def outgoing_mail():
    pagination = require_page(outgoing.failed_messages(page=page_number()))
    return render_template(
        "admin/mail.html",
        summary=outgoing.queue_summary(),
        pagination=pagination,
        kind_labels=outgoing.KIND_LABELS,
    )


@bp.post("/mail/<int:mail_id>/retry")
@permission_required(Permission.MANAGE_USERS)
def retry_mail(mail_id):
    message = db.session.get(OutgoingMail, mail_id)
    if message is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        outgoing.retry_message(current_user, message)
    except services.AdminError as error:
        flash(str(error), "error")
    else:
        flash(_("The message to %(recipient)s is queued again.", recipient=message.recipient), "success")
    return redirect(url_for("admin.outgoing_mail"))


@register_panel
def admin_panel(user):
    links = []
    if user.can(Permission.MANAGE_USERS):
        links.append((_l("People and roles"), url_for("admin.users")))
        links.append((_l("Invite staff"), url_for("admin.invitations")))
    if user.can(Permission.VIEW_AUDIT):
        links.append((_l("Audit log"), url_for("admin.audit_log")))
    if user.can(Permission.MANAGE_USERS):
        links.append((_l("Outgoing mail"), url_for("admin.outgoing_mail")))
    if not links:
        return None
    return {
        "title": _("Administration"),
        "text": _("Manage accounts and roles, and review what happened."),
        "links": links,
    }
