"""Sign-up, email verification, login/logout and password reset.

Account settings live in account_views.py, two-step sign-in in mfa_views.py; all share `bp`.
"""

import math

from flask import current_app, flash, jsonify, make_response, redirect, render_template, request, session, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user

from portal import audit
from portal.auth import bp, services, staff_invitations, throttle, tokens
from portal.auth.forms import (
    AcceptStaffInvitationForm,
    ConfirmForm,
    LoginForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
)
from portal.auth.models import EmailToken
from portal.auth.sessions import begin_session, end_session
from portal.auth.web import render_form, staff_must_enrol
from portal.errors import wants_json
from portal.extensions import db, limiter
from portal.security import Role, safe_next


def _login_email():
    return services.normalize_email(request.form.get("email", ""))[:254]


def _ip_and_account_key():
    """One family's mistakes count against their own address and account, not the whole clinic
    behind one NAT address."""
    return f"login:{get_remote_address()}:{_login_email()}"


def _ip_and_account_limits():
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _ip_limits():
    return current_app.config["LOGIN_LIMIT_PER_IP_ALL_ACCOUNTS"]


def _known_device():
    """A browser that has signed in to this account before is never slowed down."""
    if request.method != "POST" or not throttle.known_accounts():
        return False  # (Flask-Limiter asks on every request; most have nothing to look up)
    return throttle.is_known_device(services.find_user_by_email(request.form.get("email", "")))


def failed_attempt(response):
    """Only attempts that did not sign in count towards a lockout."""
    return response.status_code != 302


def record_lockout(scope):
    """An on_breach callback that writes `auth.lockout` to the audit log."""

    def breach(limit):
        user = services.find_user_by_email(request.form.get("email", "")) if scope == "ip_account" else None
        audit.record(
            "auth.lockout",
            obj=user,
            object_type="users",
            outcome="denied",
            detail={"scope": scope, "endpoint": request.endpoint},
        )
        db.session.commit()

    return breach


bp.after_request(throttle.set_device_cookie)

ROLE_NAMES = {Role.MODERATOR: _l("moderator"), Role.COUNSELOR: _l("counselor"), Role.ADMIN: _l("admin")}


def start_signed_in_session(user, next_url):
    """Rotate the session id; finish now, or after the second factor when it is on."""
    record = begin_session(user)
    if user.mfa_enabled:
        record.mfa_pending = True
        db.session.commit()
        return redirect(url_for("auth.mfa_challenge", next=safe_next(next_url)))
    services.complete_login(user, record)
    login_user(user)
    throttle.remember_device(user)
    if staff_must_enrol(user):
        return redirect(url_for("auth.mfa_setup"))
    return redirect(safe_next(next_url))


def _wait_message(seconds):
    if seconds < 120:
        wait = ngettext("%(num)d second", "%(num)d seconds", seconds)
    else:
        wait = ngettext("%(num)d minute", "%(num)d minutes", math.ceil(seconds / 60))
    return _(
        "There were several wrong passwords for this account. To keep it safe, wait %(wait)s before "
        "trying again. A browser you have signed in with before does not have to wait.",
        wait=wait,
    )


def _slowed_down(form, seconds):
    """429 with the sign-in form and how long to wait: a delay, never a lock."""
    user = services.find_user_by_email(form.email.data)
    audit.record(
        "auth.login_throttled", obj=user, object_type="users", outcome="denied", detail={"wait_seconds": seconds}
    )
    db.session.commit()
    message = _wait_message(seconds)
    if wants_json():
        response = jsonify(error=429, message=message)
    else:
        form.password.errors.append(message)
        response = make_response(render_template("auth/login.html", form=form))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def _password_failed(form, email):
    seconds = throttle.note_failure(email)
    audit.record("auth.login_failed", outcome="failure", detail={"wait_seconds": seconds} if seconds else None)
    db.session.commit()
    form.password.errors.append(_("That email and password do not match an account we can sign in."))
    return render_form("auth/login.html", form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _ip_limits, methods=["POST"], deduct_when=failed_attempt, exempt_when=_known_device, on_breach=record_lockout("ip")
)
@limiter.limit(
    _ip_and_account_limits,
    key_func=_ip_and_account_key,
    methods=["POST"],
    deduct_when=failed_attempt,
    exempt_when=_known_device,
    on_breach=record_lockout("ip_account"),
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = services.normalize_email(form.email.data)
        known = _known_device()
        seconds = throttle.seconds_to_wait(email)
        if seconds and not known:
            return _slowed_down(form, seconds)
        user, problem = services.check_login(form.email.data, form.password.data)
        if problem is None:
            if not seconds:  # a known device signing in during an attack leaves the attacker's count
                throttle.forget_failures(email)
            return start_signed_in_session(user, request.args.get("next"))
        if problem == "unverified":
            return render_template("auth/confirm_first.html", lifetime=tokens.email_lifetime_text())
        return _password_failed(form, email)
    return render_form("auth/login.html", form, signed_out=session.pop("signed_out", None))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        audit.record("auth.logout", obj=current_user._get_current_object())
        db.session.commit()
    end_session("logout")
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = SignupForm()
    if request.method == "GET":
        form.timezone.data = "America/New_York"
    if form.validate_on_submit():
        services.sign_up(
            form.email.data,
            form.password.data,
            form.display_name.data,
            form.timezone.data,
            form.family_role.data,
            locale=str(get_locale()),  # the language the page was read in
        )
        return render_template("auth/check_email.html", lifetime=tokens.email_lifetime_text())
    return render_form("auth/signup.html", form)


@bp.route("/staff-invitation/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def staff_invitation(token):
    """An admin's invitation: the invited person chooses their name and password here."""
    invitation = staff_invitations.redeemable(token)
    if invitation is None:
        return render_template("auth/link_invalid.html"), 404
    if current_user.is_authenticated:
        flash(_("You are signed in to another account. Sign out, then open the invitation link again."), "info")
        return redirect(url_for("main.dashboard"))
    form = AcceptStaffInvitationForm()
    form.extra_user_inputs = [invitation.email]
    if request.method == "GET":
        form.timezone.data = "America/New_York"
    if form.validate_on_submit():
        try:
            staff_invitations.accept(
                invitation,
                display_name=form.display_name.data,
                password=form.password.data,
                timezone=form.timezone.data,
            )
        except staff_invitations.InvitationError:
            return render_template("auth/link_invalid.html"), 404
        flash(_("Your account is ready. Sign in with your email and new password."), "success")
        return redirect(url_for("auth.login"))
    roles = ", ".join(str(ROLE_NAMES[r]) for r in sorted(invitation.role_set, key=lambda r: r.value))
    return render_form("auth/staff_invitation.html", form, invitation=invitation, roles=roles)


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token):
    """Links in email open a page; only the button press (a POST) uses the token."""
    row = EmailToken.redeemable(token, "verify")
    if row is None:
        return render_template("auth/link_invalid.html"), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        services.confirm_email(row)
        flash(_("Thank you — your email is confirmed. You can sign in now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/verify.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("auth/check_email.html", lifetime=tokens.reset_lifetime_text())
    return render_form("auth/reset_request.html", form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    row = EmailToken.redeemable(token, "reset")
    if row is None:
        return render_template("auth/link_invalid.html"), 404
    form = ResetPasswordForm()
    form.extra_user_inputs = [row.user.email, row.user.display_name]
    if form.validate_on_submit():
        services.reset_password(row, form.password.data)
        flash(_("Your password is changed. Please sign in with the new one."), "success")
        return redirect(url_for("auth.login"))
    return render_form("auth/reset_password.html", form)
