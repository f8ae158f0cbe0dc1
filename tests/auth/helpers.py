"""Helpers for account tests: links from the outbox, the session cookie, CSRF tokens."""

import re

import pyotp

from portal.auth import secretbox
from portal.clock import utcnow

LINK = re.compile(r"http://localhost(/auth/[\w/-]+)")
CSRF_META = re.compile(r'<meta name="csrf-token" content="[^"]+">')
CSRF_FIELD = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")|(value=")[^"]+("[^>]*name="csrf_token")')


def last_link(outbox, to=None):
    """The path of the link in the newest message (to `to`, when given)."""
    messages = [m for m in outbox() if to is None or m["To"] == to]
    assert messages, f"no mail to {to}"
    return LINK.search(messages[-1].get_content()).group(1)


def session_data(app, client):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def without_tokens(html, *secrets):
    """The page with per-request tokens (CSRF) and the given strings blanked, for comparisons."""
    html = CSRF_META.sub("", html)
    html = CSRF_FIELD.sub("", html)
    for secret in secrets:
        html = html.replace(secret, "<removed>")
    return html


def totp_secret(user):
    """The user's authenticator secret, decrypted as the portal does."""
    return secretbox.decrypt(user.totp_secret_encrypted)[0]


def current_code(user, offset_steps=0):
    now = int(utcnow().timestamp()) + offset_steps * 30
    return pyotp.TOTP(totp_secret(user)).at(now)
