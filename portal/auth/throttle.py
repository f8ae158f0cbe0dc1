"""Sign-in throttling that slows guessing without locking anyone out (NIST SP 800-63B 5.2.2).

Per account (the normalized email, whether or not an account has it, so the answer never tells
which addresses exist): the first `FREE_FAILURES` wrong passwords cost nothing; each one after
that makes the next try wait 2, 4, 8 … seconds, at most `MAX_WAIT_SECONDS`. Never a permanent
lock, and a browser that has signed in to that account before (a signed, HttpOnly "known
device" cookie set at a completed sign-in) is not slowed at all — so someone who knows a
counselor's email cannot keep the counselor out. Counters live where the rate limits live (Redis
when `REDIS_URL` is set, else this process's memory) and are forgotten a day after the first
failure.
"""

import logging
import math
import time

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.storage import storage_from_string

log = logging.getLogger("portal.auth")
FREE_FAILURES = 5
MAX_WAIT_SECONDS = 15 * 60
FAILURE_MEMORY_SECONDS = 24 * 3600
DEVICE_COOKIE = "fb_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
DEVICE_ACCOUNTS = 5  # a shared family computer may remember a few accounts


class _UnlessRedisAway:
    """The shared counters, or this process's memory while Redis is away (a logged warning;
    Redis is asked again every 5 s): sign-in never fails because Redis does (issue 17)."""

    RETRY = 5.0

    def __init__(self, shared):
        self.shared = shared
        self.memory = storage_from_string("memory://")
        self.away_since = None

    def __getattr__(self, name):
        def call(*args):
            if self.away_since is not None and time.monotonic() - self.away_since < self.RETRY:
                return getattr(self.memory, name)(*args)
            try:
                result = getattr(self.shared, name)(*args)
            except Exception as error:
                from portal.errors import is_redis_outage

                if not is_redis_outage(error):
                    raise
                if self.away_since is None:
                    log.warning("sign-in throttle: Redis unreachable; counting in this process's memory")
                self.away_since = time.monotonic()
                return getattr(self.memory, name)(*args)
            self.away_since = None
            return result

        return call


def _storage():
    extensions = current_app.extensions
    if "login_throttle" not in extensions:
        uri = current_app.config.get("REDIS_URL")
        prefix = f"{current_app.config['REDIS_KEY_PREFIX']}limits"  # as Flask-Limiter's (config.py)
        extensions["login_throttle"] = (
            _UnlessRedisAway(storage_from_string(uri, key_prefix=prefix)) if uri else storage_from_string("memory://")
        )
    return extensions["login_throttle"]


def wait_after(failures):
    """Seconds the next try must wait after this many failures in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES + 1), MAX_WAIT_SECONDS)


def _keys(email):
    failures = f"login-failures:{email}"
    return failures, f"login-wait:{email}:{_storage().get(failures)}"


def seconds_to_wait(email):
    """0 when this account may try now, else the whole seconds left to wait."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0
    _failures, wait = _keys(email)
    if not _storage().get(wait):
        return 0
    return max(1, math.ceil(_storage().get_expiry(wait) - time.time()))


def note_failure(email):
    """Count one wrong password for this account; returns the wait it starts (0 if none)."""
    storage = _storage()
    failures = storage.incr(f"login-failures:{email}", FAILURE_MEMORY_SECONDS)
    seconds = wait_after(failures)
    if seconds:
        storage.incr(f"login-wait:{email}:{failures}", seconds)
    return seconds


def forget_failures(email):
    """A sign-in with the right password starts the account's count again."""
    failures, wait = _keys(email)
    _storage().clear(wait)
    _storage().clear(failures)


# --- known devices ------------------------------------------------------------------------------


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def known_accounts():
    """The account ids this browser has signed in to (empty when the cookie is missing or forged)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        ids = _serializer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def is_known_device(user):
    return user is not None and user.id in known_accounts()


def remember_device(user):
    """Mark this browser as one `user` signs in with (the cookie is set on the response)."""
    g.known_device_accounts = [user.id, *[i for i in known_accounts() if i != user.id]][:DEVICE_ACCOUNTS]


def set_device_cookie(response):
    """after_request: write the known-device cookie when a sign-in completed in this request."""
    ids = g.get("known_device_accounts")
    if ids:
        response.set_cookie(
            DEVICE_COOKIE,
            _serializer().dumps(ids),
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            samesite="Lax",
            path="/auth/",
        )
    return response
