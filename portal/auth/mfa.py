"""Two-factor sign-in: TOTP codes from an authenticator app, plus single-use recovery codes."""

import hashlib
import hmac
import logging
import secrets

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal import audit
from portal.auth import secretbox
from portal.auth.errors import AuthError
from portal.auth.models import RecoveryCode
from portal.auth.passwords import verify_password
from portal.clock import utcnow
from portal.extensions import db

RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)

log = logging.getLogger("portal.auth")


class SecretUnreadable(AuthError):
    """The stored authenticator secret does not decrypt, so app codes cannot be checked.

    Sign-in with an app code is refused (fail closed); recovery codes still work.
    """

    def __init__(self):
        super().__init__(
            _(
                "We cannot check codes from your authenticator app right now. Please use one of "
                "your recovery codes, or ask your portal administrator for help."
            )
        )


def new_secret():
    return pyotp.random_base32()


def _store_secret(user, secret):
    user.totp_secret_encrypted = secretbox.encrypt(secret) if secret else None
    user.totp_secret = None


def _read_secret(user):
    """(secret, written with the current key) for user; raises SecretUnreadable."""
    if user.totp_secret_encrypted is None and user.totp_secret:
        # Written in plain text by a process of the previous release during a rolling restart
        # (after migration 0003 ran): accepted once, then moved under the key (below).
        return user.totp_secret, False
    try:
        return secretbox.decrypt(user.totp_secret_encrypted)
    except secretbox.SecretUnreadable:
        log.error("Two-step secret of user %s does not decrypt (key changed, or value altered)", user.id)
        raise SecretUnreadable() from None


def setup_secret(record):
    """The secret being set up in this browser session, made on first use.

    It is kept encrypted on the server-side session record, never in the cookie, so a wrong
    code or a reload shows the same QR code.
    """
    if record.mfa_setup_secret_encrypted:
        try:
            return secretbox.decrypt(record.mfa_setup_secret_encrypted)[0]
        except secretbox.SecretUnreadable:
            pass  # a key changed mid-setup: start again with a new secret
    secret = new_secret()
    record.mfa_setup_secret_encrypted = secretbox.encrypt(secret)
    db.session.commit()
    return secret


def provisioning_uri(user, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["PORTAL_NAME"])


def qr_svg_data_uri(uri):
    """The QR code as an SVG data URI for an <img> (CSP allows data: images, no inline markup)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _normalize(code):
    return "".join(c for c in (code or "").lower() if c.isalnum())[:32]


def _hash_code(code):
    return hashlib.sha256(_normalize(code).encode()).hexdigest()


def matching_step(secret, code, last_step=None, now=None):
    """The time step whose TOTP equals code (±1 step of clock drift), if not used before."""
    code = _normalize(code)
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((now or utcnow()).timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and (last_step is None or step > last_step):
            return step
    return None


def _new_recovery_code():
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def issue_recovery_codes(user):
    """Replace the user's recovery codes; the plain codes are returned once and never stored."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes)
    return codes


def _use_recovery_code(user, code):
    row = db.session.scalar(
        sa.select(RecoveryCode).filter_by(user_id=user.id, code_hash=_hash_code(code), used_at=None)
    )
    if row is None:
        return False
    row.used_at = utcnow()
    return True


def verify_second_factor(user, code):
    """ "totp" or "recovery" when code is a valid second factor (consuming it), else None.

    The caller commits, so a used code stays used. An app code for a secret that no longer
    decrypts raises SecretUnreadable (never a pass); recovery codes are checked regardless.
    """
    if not user.mfa_enabled:
        return None
    normalized = _normalize(code)
    if len(normalized) == 10 and _use_recovery_code(user, code):
        return "recovery"
    if len(normalized) != 6 or not normalized.isdigit():
        return None
    secret, current_key = _read_secret(user)
    step = matching_step(secret, code, user.totp_last_step)
    if step is None:
        return None
    user.totp_last_step = step
    if not current_key:
        _store_secret(user, secret)  # key rotation: rewrite under the first key
    return "totp"


def remaining_recovery_codes(user):
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(RecoveryCode).filter_by(user_id=user.id, used_at=None)
    )


def enable(user, secret, code, setup_record=None):
    """Turn on two-factor sign-in once the user proves the app works; returns recovery codes.

    setup_record: the session record that held the secret during setup; it is cleared.
    """
    step = matching_step(secret, code)
    if step is None:
        raise AuthError(_("That code did not match. Check the time on your phone and try the newest code."))
    _store_secret(user, secret)
    if setup_record is not None:
        setup_record.mfa_setup_secret_encrypted = None
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = issue_recovery_codes(user)
    audit.record("auth.mfa_enabled", actor=user, obj=user)
    db.session.commit()
    return codes


def regenerate_recovery_codes(user, code):
    if verify_second_factor(user, code) is None:
        raise AuthError(_("That code did not match."))
    codes = issue_recovery_codes(user)
    audit.record("auth.mfa_recovery_codes_replaced", actor=user, obj=user)
    db.session.commit()
    return codes


def disable(user, password, code):
    """Turn two-factor sign-in off; needs the password and a current code."""
    if current_app.config["MFA_REQUIRED_FOR_STAFF"] and user.is_staff:
        raise AuthError(_("Staff accounts must keep two-step sign-in on."))
    if not verify_password(user.password_hash, password) or verify_second_factor(user, code) is None:
        raise AuthError(_("Your password or code is not right."))
    clear(user)
    audit.record("auth.mfa_disabled", actor=user, obj=user)
    db.session.commit()


def clear(user):
    """Forget the person's authenticator secret and recovery codes (the caller audits and commits)."""
    user.totp_secret_encrypted = None
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
