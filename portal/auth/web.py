"""The auth blueprint and the small helpers its view modules share."""

from urllib.parse import parse_qsl

from flask import current_app, redirect, request, url_for
from flask_login import current_user

from portal.auth import bp
from portal.templating import render_form  # noqa: F401  (the auth views import it from here)

# What a staff member who still has to set up two-step sign-in may open.
MFA_SETUP_ALLOWED = {
    "auth.mfa_setup",
    "auth.logout",
    "main.logout_page",
    "auth.extend_session",
    "static",
    "main.healthz",
}


def staff_must_enrol(user):
    """True when config requires two-step sign-in for this staff member and it is not on yet."""
    return bool(current_app.config["MFA_REQUIRED_FOR_STAFF"] and user.is_staff and not user.mfa_enabled)


@bp.before_app_request
def send_staff_to_mfa_setup():
    """With MFA_REQUIRED_FOR_STAFF, a staff member without two-step sign-in can only enrol."""
    if request.endpoint in MFA_SETUP_ALLOWED or not current_user.is_authenticated:
        return None
    if staff_must_enrol(current_user):
        return redirect(url_for("auth.mfa_setup"))
    return None


def reject_undecodable_form():
    """Form posts that are not valid UTF-8 get a clear 400 (the UnicodeDecodeError handler)."""
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return
    raw = request.get_data(cache=True).decode("utf-8")
    parse_qsl(raw, encoding="utf-8", errors="strict")


@bp.record_once
def _guard_form_encoding(state):
    # First in line, so a broken body is named as such instead of as a missing CSRF token.
    state.app.before_request_funcs.setdefault(None, []).insert(0, reject_undecodable_form)
