"""Two-step sign-in pages: enrolment, the login challenge, recovery codes, turning it off."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from portal import audit
from portal.auth import bp, mfa, services, throttle
from portal.auth.forms import ConfirmForm, MfaCodeForm, MfaDisableForm, MfaEnableForm
from portal.auth.sessions import current_session_record
from portal.auth.web import render_form
from portal.extensions import db, limiter
from portal.security import safe_next


def _pending_record():
    """The session record waiting for its second factor, or None."""
    record = current_session_record()
    return record if record is not None and record.mfa_pending else None


def _mfa_key():
    record = _pending_record() or current_session_record()
    return f"mfa:{record.user_id}" if record is not None else f"mfa-ip:{request.remote_addr}"


def _failed(response):
    return response.status_code != 302


def _record_mfa_lockout(limit):
    record = _pending_record()
    audit.record(
        "auth.lockout",
        actor=record.user if record else None,
        obj=record.user if record else None,
        object_type="users",
        outcome="denied",
        detail={"scope": "second_factor"},
    )
    db.session.commit()


@bp.route("/mfa", methods=["GET", "POST"])
@limiter.limit(
    "5 per 5 minutes", key_func=_mfa_key, methods=["POST"], deduct_when=_failed, on_breach=_record_mfa_lockout
)
@limiter.limit("30 per 5 minutes", methods=["POST"], deduct_when=_failed)
def mfa_challenge():
    """Login step 2: a code from the authenticator app, or a recovery code."""
    record = _pending_record()
    if record is None:
        return redirect(url_for("auth.login"))
    form = MfaCodeForm()
    if form.validate_on_submit():
        try:
            kind = mfa.verify_second_factor(record.user, form.code.data)
        except mfa.SecretUnreadable as error:
            audit.record(
                "auth.mfa_failed",
                actor=record.user,
                obj=record.user,
                outcome="failure",
                detail={"reason": "secret_unreadable"},
            )
            db.session.commit()
            form.code.errors.append(str(error))
            return render_form("auth/mfa_challenge.html", form)
        if kind is not None:
            services.complete_login(record.user, record)
            login_user(record.user)
            throttle.remember_device(record.user)
            if kind == "recovery":
                flash(_("You used a recovery code. Each code works only once."), "warning")
            return redirect(safe_next(request.args.get("next")))
        audit.record("auth.mfa_failed", actor=record.user, obj=record.user, outcome="failure")
        db.session.commit()
        form.code.errors.append(_("That code did not match. Please try again."))
    return render_form("auth/mfa_challenge.html", form)


@bp.route("/mfa/setup", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per 5 minutes", key_func=_mfa_key, methods=["POST"])
def mfa_setup():
    """Show a QR code for a new secret; a matching code turns two-step sign-in on."""
    if current_user.mfa_enabled:
        return redirect(url_for("auth.mfa_manage"))
    record = current_session_record()
    secret = mfa.setup_secret(record)
    form = MfaEnableForm()
    if form.validate_on_submit():
        try:
            codes = mfa.enable(current_user, secret, form.code.data, setup_record=record)
        except services.AuthError as error:
            form.code.errors.append(str(error))
        else:
            return render_template("auth/mfa_recovery_codes.html", codes=codes)
    uri = mfa.provisioning_uri(current_user, secret)
    return render_form("auth/mfa_setup.html", form, qr=mfa.qr_svg_data_uri(uri), secret=secret)


@bp.get("/mfa/manage")
@login_required
def mfa_manage():
    codes_left = mfa.remaining_recovery_codes(current_user) if current_user.mfa_enabled else None
    return render_template(
        "auth/mfa_manage.html",
        codes_left=codes_left,
        disable_form=MfaDisableForm(),
        regenerate_form=MfaCodeForm(),
        confirm=ConfirmForm(),
    )


@bp.post("/mfa/recovery-codes")
@login_required
@limiter.limit("10 per 5 minutes", key_func=_mfa_key)
def mfa_recovery_codes():
    form = MfaCodeForm()
    if form.validate_on_submit() and current_user.mfa_enabled:
        try:
            codes = mfa.regenerate_recovery_codes(current_user, form.code.data)
        except services.AuthError as error:
            flash(str(error), "error")
        else:
            return render_template("auth/mfa_recovery_codes.html", codes=codes)
    return redirect(url_for("auth.mfa_manage"))


@bp.post("/mfa/disable")
@login_required
@limiter.limit("10 per 5 minutes", key_func=_mfa_key)
def mfa_disable():
    form = MfaDisableForm()
    if form.validate_on_submit() and current_user.mfa_enabled:
        try:
            mfa.disable(current_user, form.password.data, form.code.data)
        except services.AuthError as error:
            flash(str(error), "error")
            return redirect(url_for("auth.mfa_manage"))
        flash(_("Two-step sign-in is off."), "success")
    return redirect(url_for("auth.mfa_manage"))
