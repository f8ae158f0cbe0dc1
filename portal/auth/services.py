"""Account rules: creating users, checking credentials, tokens sent by email."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal import audit
from portal.auth import mfa, tokens
from portal.auth.errors import AuthError
from portal.auth.family_roles import FAMILY_ROLES
from portal.auth.models import SessionRecord, User
from portal.auth.names import clean_display_name
from portal.auth.passwords import burn_verification_time, hash_password, needs_rehash, verify_password
from portal.auth.sessions import revoke_user_sessions, sessions_revoked
from portal.clock import utcnow
from portal.extensions import db
from portal.security import Role

UNCHANGED = object()  # update_profile: leave the family role as it is


def normalize_email(email):
    return (email or "").strip().lower()


def find_user_by_email(email):
    return db.session.scalar(sa.select(User).filter_by(email=normalize_email(email)))


def create_user(email, password, display_name, roles, timezone="America/New_York", verified=False):
    user = User(
        email=normalize_email(email),
        password_hash=hash_password(password),
        display_name=clean_display_name(display_name),
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


def check_login(email, password):
    """(user, problem) for a sign-in attempt; problem is None, "invalid" or "unverified".

    "unverified" is only ever returned after a correct password, so it reveals nothing to
    someone guessing addresses.
    """
    user = authenticate(email, password)
    if user is None:
        return None, "invalid"
    if not user.is_verified:
        tokens.send_verification(user)
        audit.record("auth.login_unverified", actor=user, obj=user, outcome="failure")
        db.session.commit()
        return user, "unverified"
    return user, None


def ensure_demo_user(email, display_name, roles, password, locale="en", former_name=None):
    """Create or refresh a demo account: verified, established, with exactly these roles. The
    language is set when the account is created; a language the person chose since is kept.
    An account still named exactly `former_name` (an earlier seed's name) gets `display_name`;
    any other name was chosen by a person and stays."""
    user = find_user_by_email(email)
    if user is None:
        user = create_user(email, password, display_name, roles, verified=True)
        user.locale = locale
        audit.record("user.created", actor=None, obj=None, object_type="users", detail={"via": "seed-demo"})
    elif not verify_password(user.password_hash, password):
        user.password_hash = hash_password(password)
    if former_name is not None and user.display_name == former_name:
        user.display_name = display_name
    user.active = True
    user.established = True
    user.email_verified_at = user.email_verified_at or utcnow()
    for role in roles:
        user.add_role(role)
    return user


def sign_up(email, password, display_name, timezone, family_role=None, locale="en"):
    """Create a family account and queue the verification link. An email that already has an
    account gets a notice instead; both paths hash the password once, write an audit event
    and one queued message, and commit, so neither the page nor its timing tells them apart."""
    existing = find_user_by_email(email)
    if existing is not None:
        burn_verification_time(password)
        tokens.send_account_exists_notice(existing)
        audit.record("auth.signup_existing_email", actor=None, obj=existing, outcome="failure")
        db.session.commit()
        return None
    user = create_user(email, password, display_name, {Role.FAMILY}, timezone=timezone)
    user.family_role = _checked_family_role(family_role)
    # the language the person signed up in (a visitor's choice or their browser's)
    user.locale = locale if locale in current_app.config["LANGUAGES"] else "en"
    db.session.flush()
    audit.record("user.signed_up", actor=user, obj=user, detail={"family_role": user.family_role})
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
    """Queue a reset link for the address. The request does the same write whether or not
    the address has an account (no lookup at all): the delivery run builds the link for an
    active account and drops the request otherwise (auth/tokens.py)."""
    tokens.send_reset(normalize_email(email))
    audit.record("auth.reset_requested", outcome="queued")
    db.session.commit()


def reset_password(token_row, new_password):
    """Set a new password from a reset link; every existing session ends."""
    user = token_row.user
    token_row.used_at = utcnow()
    user.password_hash = hash_password(new_password)
    user.email_verified_at = user.email_verified_at or utcnow()  # the link proved the address
    revoke_user_sessions(user, "password_reset")
    audit.record("auth.password_reset", actor=user, obj=user)
    db.session.commit()


def update_profile(user, display_name, timezone, family_role=UNCHANGED, locale=UNCHANGED):
    """Save the profile; family_role (a key of FAMILY_ROLES or None) and locale only when given."""
    user.display_name = clean_display_name(display_name)
    user.timezone = timezone
    if locale is not UNCHANGED:
        _apply_locale(user, locale)
    if family_role is not UNCHANGED:
        _apply_family_role(user, family_role)
    audit.record("user.profile_updated", actor=user, obj=user)
    db.session.commit()


def set_locale(user, locale):
    """The language the portal, its emails and feeds speak to this person, on every device."""
    _apply_locale(user, locale)
    db.session.commit()


def _apply_locale(user, locale):
    if locale not in current_app.config["LANGUAGES"]:
        raise AuthError(_("Choose a language from the list."), field="locale")
    user.locale = locale


def set_family_role(user, family_role):
    """Choose (or clear, with None) the family role that picks the recommended lesson path."""
    _apply_family_role(user, family_role)
    db.session.commit()


def _checked_family_role(family_role):
    if family_role in (None, ""):
        return None
    if family_role not in FAMILY_ROLES:
        raise AuthError(_("Choose a family role from the list."), field="family_role")
    return family_role


def _apply_family_role(user, family_role):
    new = _checked_family_role(family_role)
    if new != user.family_role:
        audit.record("user.family_role_changed", actor=user, obj=user, detail={"from": user.family_role, "to": new})
        user.family_role = new


def change_password(user, current_password, new_password, keep_record):
    """Replace the password after checking the current one; other browsers are signed out."""
    if not verify_password(user.password_hash, current_password):
        raise AuthError(_("Your current password is not right."))
    user.password_hash = hash_password(new_password)
    end_other_sessions(user, keep_record, "password_changed")
    audit.record("auth.password_changed", actor=user, obj=user)
    tokens.send_password_changed_notice(user)
    db.session.commit()


def request_email_change(user, password, new_email):
    """Queue a confirmation link to the new address and a notice to the old one.

    When the new address already has an account nothing is sent to it, but the person asking
    sees the same answer after the same work (the link is built, or not, by the delivery
    run), so neither the page nor its timing tells who has an account.
    """
    if not verify_password(user.password_hash, password):
        raise AuthError(_("Your password is not right."), field="password")
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise AuthError(_("That is already the email of your account."), field="email")
    tokens.send_email_change(user, new_email)
    tokens.send_email_change_notice(user)
    audit.record("user.email_change_requested", actor=user, obj=user)
    db.session.commit()


def confirm_email_change(token_row):
    """Use an email-change link: the new address becomes the account's email."""
    user = token_row.user
    token_row.used_at = utcnow()
    if find_user_by_email(token_row.new_email) is not None:
        db.session.commit()
        raise AuthError(_("This link cannot be used any more."))
    user.email = token_row.new_email
    user.email_verified_at = utcnow()
    audit.record("user.email_changed", actor=user, obj=user)
    db.session.commit()
    return user


def live_sessions(user, idle_limit):
    """The user's sessions that are still signed in, newest first."""
    records = db.session.scalars(
        sa.select(SessionRecord)
        .filter_by(user_id=user.id, revoked_at=None, mfa_pending=False)
        .order_by(SessionRecord.last_seen_at.desc())
    )
    return [r for r in records if r.is_live(idle_limit)]


def end_other_sessions(user, keep_record, reason):
    """Revoke every session of user except keep_record (the caller commits)."""
    records = db.session.scalars(
        sa.select(SessionRecord).filter(
            SessionRecord.user_id == user.id,
            SessionRecord.revoked_at.is_(None),
            SessionRecord.id != keep_record.id,
        )
    )
    ended = 0
    for record in records:
        record.revoke(reason)
        ended += 1
    if ended:
        sessions_revoked.send(current_app._get_current_object(), user_id=user.id, reason=reason)
    return ended


def sign_out_other_sessions(user, keep_record):
    ended = end_other_sessions(user, keep_record, "signed_out_elsewhere")
    audit.record("auth.other_sessions_ended", actor=user, obj=user, detail={"count": ended})
    db.session.commit()
    return ended


def end_one_session(user, session_id):
    """Sign out one of the user's own sessions (its sockets too); False when the user has no
    such signed-in session — another person's session id is treated as unknown."""
    record = db.session.scalar(sa.select(SessionRecord).filter_by(id=session_id, user_id=user.id, revoked_at=None))
    if record is None:
        return False
    record.revoke("ended_by_user")
    audit.record("auth.session_ended", actor=user, obj=user, detail={"session": record.id})
    db.session.commit()
    sessions_revoked.send(current_app._get_current_object(), user_id=user.id, reason="ended_by_user")
    return True


def reauthenticate(user, record, password, code=None):
    """Check the password (and second factor when on) again; refresh the session's clock."""
    ok = verify_password(user.password_hash, password)
    if ok and user.mfa_enabled:
        try:
            ok = mfa.verify_second_factor(user, code or "") is not None
        except mfa.SecretUnreadable:
            audit.record("auth.reauthenticated", actor=user, obj=user, outcome="failure")
            db.session.commit()
            raise
    audit.record("auth.reauthenticated", actor=user, obj=user, outcome="success" if ok else "failure")
    if ok:
        record.authenticated_at = utcnow()
    db.session.commit()
    return ok


def complete_login(user, record):
    """Mark a session fully signed in (after the password, and the second factor if any)."""
    now = utcnow()
    record.mfa_pending = False
    record.authenticated_at = now
    user.last_login_at = now
    audit.record("auth.login", actor=user, obj=user, detail={"mfa": user.mfa_enabled})
    db.session.commit()
