"""Roles and permissions, server-side session records, and the HTTP security baseline."""

import enum
import hashlib
import re
import secrets
from functools import wraps
from urllib.parse import urlsplit

from blinker import Namespace
from flask import abort, current_app, g, request, session, url_for
from flask_login import AnonymousUserMixin, current_user
from werkzeug.routing import IntegerConverter

from portal.clock import utcnow
from portal.extensions import db, login_manager

signals = Namespace()
#: Sent with (user_id, reason) when a user's sessions end, so live sockets can be dropped.
sessions_revoked = signals.signal("sessions-revoked")
#: Sent with (user_id, reason) after a change to what a user may do that leaves their sessions
#: alive (roles), so live sockets leave what the user may no longer read.
standing_changed = signals.signal("standing-changed")


class Role(enum.StrEnum):
    FAMILY = "family"
    MODERATOR = "moderator"
    COUNSELOR = "counselor"
    ADMIN = "admin"


STAFF_ROLES = {Role.MODERATOR, Role.COUNSELOR, Role.ADMIN}


class Permission(enum.StrEnum):
    LEARN = "learn"
    CHAT = "chat"
    SEE_FAMILY = "see_family"
    MODERATE = "moderate"
    MANAGE_CLIENTS = "manage_clients"
    MANAGE_SESSIONS = "manage_sessions"
    AUTHOR_LESSONS = "author_lessons"
    MANAGE_USERS = "manage_users"
    MANAGE_PROGRAMS = "manage_programs"
    VIEW_AUDIT = "view_audit"


ROLE_PERMISSIONS = {
    Role.FAMILY: {Permission.LEARN, Permission.CHAT, Permission.SEE_FAMILY},
    Role.MODERATOR: {Permission.CHAT, Permission.MODERATE},
    Role.COUNSELOR: {
        Permission.LEARN,
        Permission.MANAGE_CLIENTS,
        Permission.MANAGE_SESSIONS,
        Permission.AUTHOR_LESSONS,
    },
    Role.ADMIN: set(Permission) - {Permission.SEE_FAMILY},
}


def permissions_for(roles):
    """The union of the permissions of the given roles."""
    granted = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[Role(role)]
    return granted


class AnonymousUser(AnonymousUserMixin):
    roles = frozenset()
    is_staff = False
    display_name = None

    def can(self, permission):
        return False

    def has_role(self, role):
        return False


def permission_required(permission):
    """Let a view run only for users holding the permission (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --- server-side session records ------------------------------------------------------------


def idle_limit_for(user):
    """Staff sessions idle out sooner than family sessions."""
    key = "SESSION_IDLE_STAFF" if user.is_staff else "SESSION_IDLE_FAMILY"
    return current_app.config[key]


def begin_session(user):
    """Start a fresh session record for user and put its id in a fresh cookie (rotation)."""
    from portal.auth.models import SessionRecord

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
    from sqlalchemy.orm import joinedload

    from portal.auth.models import SessionRecord, User

    token = session.get("sid")
    if not token or not isinstance(token, str):
        return None
    # One statement for the record, its user and their roles: this runs on every request.
    query = (
        db.select(SessionRecord)
        .filter_by(token_hash=hash_token(token))
        .options(joinedload(SessionRecord.user).joinedload(User.role_rows))
    )
    record = db.session.scalars(query).unique().first()
    if record is None or not record.user.active:
        return None
    if not record.is_live(idle_limit_for(record.user)):
        record.revoke(record.revoked_reason or "expired")
        db.session.commit()
        return None
    return record


def touch_session(record):
    """Move the idle clock forward, writing at most once a minute."""
    now = utcnow()
    if (now - record.last_seen_at).total_seconds() >= 60:
        record.last_seen_at = now
        db.session.commit()


def end_session(reason="logout"):
    """Revoke the current record and clear the cookie."""
    record = current_session_record()
    if record is not None:
        record.revoke(reason)
        db.session.commit()
        sessions_revoked.send(current_app._get_current_object(), user_id=record.user_id, reason=reason)
    session.clear()
    g.pop("session_record", None)


def revoke_user_sessions(user, reason):
    """End every session of user at once (deactivation, password change, suspension)."""
    from portal.auth.models import SessionRecord

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
                from flask import redirect

                return redirect(url_for("auth.reauthenticate", next=request.full_path.rstrip("?")))
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --- redirects and headers -------------------------------------------------------------------


def hash_token(token):
    """Secret tokens (sessions, email links, invitations, feeds) are stored only as SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def safe_next(target, default="main.dashboard"):
    """A same-host relative path from `next`, or the default endpoint."""
    if target and isinstance(target, str) and len(target) < 2000:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
            and not any(ord(c) < 32 for c in target)
        ):
            return target
    return url_for(default)


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ]
)


def set_security_headers(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config.get("HSTS"):
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if _signed_in() or request.path.startswith("/auth/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _signed_in():
    """Whether this request is a signed-in person's, from the user Flask-Login already loaded
    (asking current_user.is_authenticated after a view's commit would reload the user row)."""
    user = g.get("_login_user")
    if user is None:
        return current_user.is_authenticated
    return not isinstance(user, AnonymousUserMixin)


REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id():
    """A short id tying log lines and audit events of one request together: nginx's
    `X-Request-Id` when it has the expected shape (anyone can send the header, and it goes into
    the audit log), else one of our own."""
    if "request_id" not in g:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
    return g.request_id


class IdConverter(IntegerConverter):
    """`<int:…>` in URLs: ids beyond a database integer are a 404 at routing, so an address like
    /admin/users/99999999999999999999 never reaches a query (SQLite raises OverflowError on it,
    PostgreSQL "integer out of range")."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)
