"""Sign-up, email verification, login/logout and password reset.

Account settings live in account_views.py, two-step sign-in in mfa_views.py; all share `bp`.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal import audit
from portal.auth import bp, services
from portal.auth.forms import ConfirmForm, LoginForm, ResetPasswordForm, ResetRequestForm, SignupForm
from portal.auth.models import EmailToken
from portal.auth.sessions import begin_session, end_session
from portal.auth.web import render_form, staff_must_enrol
from portal.extensions import db, limiter
from portal.security import safe_next


def _login_account_key():
    return "login:" + services.normalize_email(request.form.get("email", ""))[:254]


def _login_limits():
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _ip_limits():
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def failed_attempt(response):
    """Only attempts that did not sign in count towards a lockout."""
    return response.status_code != 302


def record_lockout(scope):
    """An on_breach callback that writes `auth.lockout` to the audit log."""

    def breach(limit):
        user = services.find_user_by_email(request.form.get("email", "")) if scope == "account" else None
        audit.record(
            "auth.lockout",
            obj=user,
            object_type="users",
            outcome="denied",
            detail={"scope": scope, "endpoint": request.endpoint},
        )
        db.session.commit()

    return breach


def start_signed_in_session(user, next_url):
    """Rotate the session id; finish now, or after the second factor when it is on."""
    record = begin_session(user)
    if user.mfa_enabled:
        record.mfa_pending = True
        db.session.commit()
        return redirect(url_for("auth.mfa_challenge", next=safe_next(next_url)))
    services.complete_login(user, record)
    login_user(user)
    if staff_must_enrol(user):
        return redirect(url_for("auth.mfa_setup"))
    return redirect(safe_next(next_url))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limits, methods=["POST"], deduct_when=failed_attempt, on_breach=record_lockout("ip"))
@limiter.limit(
    _login_limits,
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=failed_attempt,
    on_breach=record_lockout("account"),
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user, problem = services.check_login(form.email.data, form.password.data)
        if problem is None:
            return start_signed_in_session(user, request.args.get("next"))
        if problem == "unverified":
            return render_template("auth/confirm_first.html")
        audit.record("auth.login_failed", outcome="failure")
        db.session.commit()
        form.password.errors.append(_("That email and password do not match an account we can sign in."))
    return render_form("auth/login.html", form)


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
        services.sign_up(form.email.data, form.password.data, form.display_name.data, form.timezone.data)
        return render_template("auth/check_email.html")
    return render_form("auth/signup.html", form)


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
        return render_template("auth/check_email.html")
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
