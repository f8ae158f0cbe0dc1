"""Account rules: creating users, checking credentials, tokens sent by email."""

import sqlalchemy as sa

from portal import audit
from portal.auth.models import User
from portal.auth.passwords import burn_verification_time, hash_password, needs_rehash, verify_password
from portal.clock import utcnow
from portal.extensions import db


class AuthError(Exception):
    """A domain rule refused the request; the message is safe to show."""


def normalize_email(email):
    return (email or "").strip().lower()


def find_user_by_email(email):
    return db.session.scalar(sa.select(User).filter_by(email=normalize_email(email)))


def create_user(email, password, display_name, roles, timezone="America/New_York", verified=False):
    user = User(
        email=normalize_email(email),
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        timezone=timezone,
        email_verified_at=utcnow() if verified else None,
    )
    for role in roles:
        user.add_role(role)
    db.session.add(user)
    return user


def authenticate(email, password):
    """The active user whose password matches, else None — same cost either way."""
    user = find_user_by_email(email)
    if user is None:
        burn_verification_time(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not user.active:
        return None
    return user


def ensure_demo_user(email, display_name, roles, password):
    """Create or refresh a demo account: verified, established, with exactly these roles."""
    user = find_user_by_email(email)
    if user is None:
        user = create_user(email, password, display_name, roles, verified=True)
        audit.record("user.created", actor=None, obj=None, object_type="users", detail={"via": "seed-demo"})
    elif not verify_password(user.password_hash, password):
        user.password_hash = hash_password(password)
    user.active = True
    user.established = True
    user.email_verified_at = user.email_verified_at or utcnow()
    for role in roles:
        user.add_role(role)
    return user


def sign_up(email, password, display_name, timezone):
    """Create a family account and send the verification link. An email that already has an
    account gets a notice instead, so the page shown is identical either way."""
    from portal.auth import tokens
    from portal.security import Role

    existing = find_user_by_email(email)
    if existing is not None:
        burn_verification_time(password)
        tokens.send_account_exists_notice(existing)
        return None
    user = create_user(email, password, display_name, {Role.FAMILY}, timezone=timezone)
    db.session.flush()
    audit.record("user.signed_up", actor=user, obj=user)
    tokens.send_verification(user)
    db.session.commit()
    return user


def confirm_email(token_row):
    """Use a verification token: mark it spent and the email confirmed."""
    token_row.used_at = utcnow()
    token_row.user.email_verified_at = token_row.user.email_verified_at or utcnow()
    audit.record("user.email_verified", actor=token_row.user, obj=token_row.user)
    db.session.commit()


def request_password_reset(email):
    """Email a reset link when the account exists; do nothing visible otherwise."""
    from portal.auth import tokens

    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    tokens.send_reset(user)
    audit.record("auth.reset_requested", actor=user, obj=user)
    db.session.commit()


def reset_password(token_row, new_password):
    """Set a new password from a reset link; every existing session ends."""
    from portal.security import revoke_user_sessions

    user = token_row.user
    token_row.used_at = utcnow()
    user.password_hash = hash_password(new_password)
    user.email_verified_at = user.email_verified_at or utcnow()  # the link proved the address
    revoke_user_sessions(user, "password_reset")
    audit.record("auth.password_reset", actor=user, obj=user)
    db.session.commit()


def update_profile(user, display_name, timezone):
    user.display_name = display_name.strip()
    user.timezone = timezone
    audit.record("user.profile_updated", actor=user, obj=user)
    db.session.commit()
