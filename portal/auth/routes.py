"""Sign-up, email verification, login/logout, password reset, account settings."""

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from portal import audit
from portal.auth import services
from portal.auth.forms import (
    ConfirmForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
)
from portal.auth.models import EmailToken
from portal.clock import utcnow
from portal.extensions import db, limiter
from portal.security import (
    begin_session,
    current_session_record,
    end_session,
    idle_limit_seconds,
    safe_next,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_account_key():
    return "login:" + services.normalize_email(request.form.get("email", ""))[:254]


def _login_limits():
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _ip_limits():
    return current_app.config["LOGIN_LIMIT_PER_IP"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limits, methods=["POST"])
@limiter.limit(_login_limits, key_func=_login_account_key, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            audit.record("auth.login_failed", outcome="failure", detail={"email_known": None})
            db.session.commit()
            form.password.errors.append(_("That email and password do not match an account we can sign in."))
        else:
            begin_session(user)
            login_user(user)
            user.last_login_at = utcnow()
            audit.record("auth.login", actor=user, obj=user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


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
    return render_template("auth/signup.html", form=form)


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token):
    """Links in email open a page; only the button press (a POST) uses the token."""
    row = EmailToken.redeemable(token, "verify")
    if row is None:
        return render_template("auth/link_invalid.html"), 404
    if request.method == "POST":
        services.confirm_email(row)
        flash(_("Thank you — your email is confirmed. You can sign in now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/verify.html", form=ConfirmForm())


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("auth/check_email.html")
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    row = EmailToken.redeemable(token, "reset")
    if row is None:
        return render_template("auth/link_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(row, form.password.data)
        flash(_("Your password is changed. Please sign in with the new one."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(current_user, form.display_name.data, form.timezone.data)
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.post("/session/extend")
@login_required
def extend_session():
    """The idle-warning dialog's "Stay signed in" button: any request moves the clock."""
    record = current_session_record()
    record.last_seen_at = utcnow()
    db.session.commit()
    return jsonify(ok=True, idle_seconds=idle_limit_seconds())
