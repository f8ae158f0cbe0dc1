"""Account settings: profile, password, email, signed-in sessions, re-authentication."""

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from portal.auth import bp, mfa, services, tokens
from portal.auth.forms import ChangeEmailForm, ChangePasswordForm, ConfirmForm, ProfileForm, ReauthForm
from portal.auth.models import EmailToken
from portal.auth.names import coarse_place, describe_browser
from portal.auth.sessions import current_session_record, idle_limit_for, idle_limit_seconds
from portal.auth.web import render_form
from portal.clock import utcnow
from portal.extensions import db, limiter
from portal.i18n import SESSION_KEY
from portal.main.dashboard import register_panel
from portal.security import safe_next

MAX_ID = 2**31 - 1  # larger ids cannot exist (and PostgreSQL would refuse to compare them)


def _user_key():
    return f"user:{current_user.get_id()}"


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    form.name_owner = current_user._get_current_object()
    if current_user.is_staff:
        del form.family_role  # a recommended lesson path is for family members
    if form.validate_on_submit():
        role = form.family_role.data if "family_role" in form else services.UNCHANGED
        services.update_profile(current_user, form.display_name.data, form.timezone.data, role, locale=form.locale.data)
        session[SESSION_KEY] = form.locale.data
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.account"))
    codes_left = mfa.remaining_recovery_codes(current_user) if current_user.mfa_enabled else None
    return render_form("auth/account.html", form, codes_left=codes_left)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per 15 minutes", key_func=_user_key, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    form.extra_user_inputs = [current_user.email, current_user.display_name]
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.password.data, current_session_record()
            )
        except services.AuthError as error:
            form.current_password.errors.append(str(error))
        else:
            flash(_("Your password is changed. Other browsers were signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_form("auth/change_password.html", form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", key_func=_user_key, methods=["POST"])
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.password.data, form.email.data)
        except services.AuthError as error:
            form[error.field or "email"].errors.append(str(error))
        else:
            return render_template("auth/email_change_sent.html", lifetime=tokens.email_lifetime_text())
    return render_form("auth/change_email.html", form)


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email_change(token):
    """The link sent to the new address; the button press (a POST) makes the change."""
    row = EmailToken.redeemable(token, "email_change")
    if row is None:
        return render_template("auth/link_invalid.html"), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_email_change(row)
        except services.AuthError:
            return render_template("auth/link_invalid.html"), 404
        flash(_("Your email is changed. Use the new address to sign in from now on."), "success")
        return redirect(url_for("auth.account" if current_user.is_authenticated else "auth.login"))
    return render_template("auth/confirm_email_change.html", form=form)


@bp.get("/account/sessions")
@login_required
def sessions():
    record = current_session_record()
    live = services.live_sessions(current_user, idle_limit_for(current_user))
    return render_template(
        "auth/sessions.html",
        sessions=live,
        current_id=record.id,
        form=ConfirmForm(),
        describe_browser=describe_browser,
        coarse_place=coarse_place,
    )


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_one_session(session_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if session_id == current_session_record().id:
        return redirect(url_for("auth.sessions"))  # this browser signs out with "Sign out"
    if session_id > MAX_ID or not services.end_one_session(current_user, session_id):
        abort(404)
    flash(_("That session is signed out."), "success")
    return redirect(url_for("auth.sessions"))


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    form = ConfirmForm()
    if form.validate_on_submit():
        count = services.sign_out_other_sessions(current_user, current_session_record())
        flash(ngettext("Signed out %(num)d other session.", "Signed out %(num)d other sessions.", count), "success")
    return redirect(url_for("auth.sessions"))


@bp.route("/reauthenticate", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per 15 minutes", key_func=_user_key, methods=["POST"])
def reauthenticate():
    """Confirm it is still you before a sensitive change (sessions.reauth_required sends here)."""
    form = ReauthForm()
    if form.validate_on_submit():
        record = current_session_record()
        try:
            if services.reauthenticate(current_user, record, form.password.data, form.code.data):
                return redirect(safe_next(request.args.get("next")))
            form.password.errors.append(_("That did not match. Please try again."))
        except mfa.SecretUnreadable as error:
            form.code.errors.append(str(error))
    return render_form("auth/reauthenticate.html", form)


@bp.post("/session/extend")
@login_required
def extend_session():
    """The idle-warning dialog's "Stay signed in" button: any request moves the clock."""
    record = current_session_record()
    record.last_seen_at = utcnow()
    db.session.commit()
    return jsonify(ok=True, idle_seconds=idle_limit_seconds())


@register_panel
def two_step_panel(user):
    """Staff without two-step sign-in are asked to turn it on."""
    if not user.is_staff or user.mfa_enabled:
        return None
    return {
        "title": _("Protect your account"),
        "text": _(
            "Staff accounts see protected information. Two-step sign-in keeps it safe even if "
            "someone learns your password."
        ),
        "links": [(_("Set up two-step sign-in"), url_for("auth.mfa_setup"))],
    }
