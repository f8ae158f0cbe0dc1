"""Server-side session records: start, load once per request, idle out, end, revoke.

The cookie holds only a random token; its SHA-256 finds the SessionRecord row, which says who is
signed in, since when, and whether the session still lives (docs/accounts.md).
"""

from functools import cache, wraps

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app, g, redirect, request, session, url_for
from sqlalchemy.orm import joinedload

from portal import i18n
from portal.auth import bp
from portal.auth.models import SessionRecord, User
from portal.clock import utcnow
from portal.extensions import db, login_manager
from portal.security import hash_token

signals = Namespace()
#: Sent with (user_id, reason) when a user's sessions end, so live sockets can be dropped.
sessions_revoked = signals.signal("sessions-revoked")
#: Sent with (user_id, reason) after a change to what a user may do that leaves their sessions
#: alive (roles), so live sockets leave what the user may no longer read.
standing_changed = signals.signal("standing-changed")


def idle_limit_for(user):
    """Staff sessions idle out sooner than family sessions."""
    key = "SESSION_IDLE_STAFF" if user.is_staff else "SESSION_IDLE_FAMILY"
    return current_app.config[key]


def begin_session(user):
    """Start a fresh session record for user and put its id in a fresh cookie (rotation)."""
    session.clear()
    record, token = SessionRecord.start(
        user,
        lifetime=current_app.config["SESSION_ABSOLUTE"],
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    db.session.add(record)
    session["sid"] = token
    session["_user_id"] = str(user.id)
    session.permanent = True
    return record


def current_session_record():
    """The live session record for this request, loaded once per request."""
    if g.get("database_down"):
        return None  # an outage answer is being built: nobody is signed in for it (errors.py)
    if "session_record" not in g:
        g.session_record = _load_session_record()
    return g.session_record


def _load_session_record():
    token = session.get("sid")
    if not token or not isinstance(token, str):
        return None
    record = db.session.scalars(_record_statement(), {"token_hash": hash_token(token)}).unique().first()
    if record is None or not record.user.active:
        return None
    if not record.is_live(idle_limit_for(record.user)):
        timed_out = record.revoked_at is None
        idled = timed_out and utcnow() < record.expires_at
        record.revoke(record.revoked_reason or "expired")
        db.session.commit()
        if timed_out:  # the sign-in page says why, once; the dead token leaves the cookie
            session.pop("sid", None)
            session["signed_out"] = "idle" if idled else "expired"
        return None
    return record


@cache
def _record_statement():
    """One statement for the record, its user and their roles. It runs on every request and
    socket event, so it is built once per process (the token's hash is a bound parameter)."""
    return (
        db.select(SessionRecord)
        .where(SessionRecord.token_hash == sa.bindparam("token_hash", type_=sa.String))
        .options(joinedload(SessionRecord.user).joinedload(User.role_rows))
    )


def touch_session(record):
    """Move the idle clock forward, writing at most once a minute."""
    now = utcnow()
    if (now - record.last_seen_at).total_seconds() >= 60:
        record.last_seen_at = now
        db.session.commit()


def end_session(reason="logout"):
    """Revoke the current record and clear the cookie (all but the language the person reads)."""
    record = current_session_record()
    locale = session.get(i18n.SESSION_KEY)
    if record is not None:
        locale = record.user.locale
        record.revoke(reason)
        db.session.commit()
        sessions_revoked.send(current_app._get_current_object(), user_id=record.user_id, reason=reason)
    session.clear()
    if i18n.supported(locale):
        session[i18n.SESSION_KEY] = locale
    g.pop("session_record", None)


def revoke_user_sessions(user, reason):
    """End every session of user at once (deactivation, password change, suspension)."""
    records = db.session.scalars(db.select(SessionRecord).filter_by(user_id=user.id, revoked_at=None))
    for record in records:
        record.revoke(reason)
    sessions_revoked.send(current_app._get_current_object(), user_id=user.id, reason=reason)


@login_manager.user_loader
def load_user(user_id):
    record = current_session_record()
    if record is None or str(record.user_id) != str(user_id):
        return None
    if record.mfa_pending:
        return None
    return record.user


def idle_limit_seconds():
    """How long this session may sit idle before it ends (drives the warning dialog)."""
    record = current_session_record()
    if record is None:
        return None
    limit = idle_limit_for(record.user)
    return int(limit.total_seconds())


def reauth_required(max_age_seconds=600):
    """Ask for the password again before sensitive changes (consent, roles)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            record = current_session_record()
            if record is None:
                return login_manager.unauthorized()
            age = (utcnow() - record.authenticated_at).total_seconds()
            if age > max_age_seconds:
                return redirect(url_for("auth.reauthenticate", next=request.full_path.rstrip("?")))
            return view(*args, **kwargs)

        return wrapped

    return decorator


@bp.app_context_processor
def _idle_limit():
    """Every page carries the idle limit, for the warning dialog (templates/base.html)."""
    return {"idle_limit_seconds": idle_limit_seconds}
