"""Roles and permissions, safe redirects, request ids and the HTTP security baseline.

Shared by every feature; it imports none of them (server-side sessions live in portal/auth/sessions.py)."""

import enum
import hashlib
import re
import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, g, request, url_for
from flask_login import AnonymousUserMixin, current_user
from werkzeug.routing import IntegerConverter

from portal.extensions import login_manager
from portal.static_assets import is_static_request


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
    if not is_static_request() and (_signed_in() or request.path.startswith("/auth/")):
        response.headers["Cache-Control"] = "no-store"  # static files: portal/static_assets.py
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
