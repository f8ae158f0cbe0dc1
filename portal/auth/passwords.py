"""Password hashing (argon2id) and the password policy (length plus zxcvbn strength).

zxcvbn is a maintained strength estimator with built-in lists of common passwords, names and
keyboard patterns; it refuses "password1234" or "qwertyuiopas" without any composition rules,
which is what NIST SP 800-63B asks for.
"""

import contextlib
import functools
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn import zxcvbn

from portal import database
from portal.extensions import db

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
ZXCVBN_MAX = 72

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hashes = {}


def hash_password(password):
    return off_the_event_loop(hasher.hash, password)


def verify_password(password_hash, password):
    """True when the password matches; never raises on a malformed hash."""
    return off_the_event_loop(_verify, password_hash, password)


def _verify(password_hash, password):
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def off_the_event_loop(function, *args):
    """Run an argon2 call on a thread of its own when the server runs on gevent.

    argon2 spends a good part of a second of CPU per hash by design (on four threads of its own:
    the library's parallelism), and releases the GIL while it does. On the gevent worker's one
    event-loop thread, every sign-in would stall every other request and socket of that process
    for that long. So it runs on HASHING_THREADS pool threads that Linux schedules below the
    loop's thread (nice +BACKGROUND_NICENESS, which the threads argon2 starts inherit): with
    the mixed-load benchmark's families arriving, sign-ins at normal priority still took the
    loop's core from it for ~100 ms at a time (gevent's blocking monitor caught commits
    "blocked" while a verification ran), and every message sent meanwhile was late. The pool's
    size also bounds the memory of sign-ins at once (64 MiB each)."""
    if not _on_gevent():
        return function(*args)
    database.hand_back_idle_connection(db.session())  # not held while the hash waits its turn
    return _hashing_pool().apply(_below_the_event_loop, (function, *args))


HASHING_THREADS = 2
BACKGROUND_NICENESS = 10


@functools.cache
def _hashing_pool():
    from gevent.threadpool import ThreadPool

    return ThreadPool(HASHING_THREADS)


def _below_the_event_loop(function, *args):
    """On a hashing thread: lower its priority (Linux: per thread, for the calling thread when
    `who` is 0; a no-op where it is refused), then the call."""
    with contextlib.suppress(OSError, AttributeError):
        if os.getpriority(os.PRIO_PROCESS, 0) < BACKGROUND_NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, BACKGROUND_NICENESS)
    return function(*args)


def _on_gevent():
    """True in a process gevent has monkey-patched (gunicorn's gevent worker, `make run`)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return monkey.is_module_patched("socket")


def burn_verification_time(password):
    """Spend the time a real check would, so unknown accounts answer as slowly as known ones."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash("timing-equaliser-not-a-password")
    verify_password(_dummy_hashes[key], password)


def needs_rehash(password_hash):
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_problems(password, user_inputs=()):
    """A list of plain-language reasons the password is refused (empty when it is fine)."""
    if len(password) < MIN_LENGTH:
        return [_("Use at least %(n)d characters.", n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("Use at most %(n)d characters.", n=MAX_LENGTH)]
    # zxcvbn refuses input over 72 characters; the first 72 decide whether it is guessable.
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=[u[:ZXCVBN_MAX] for u in user_inputs if u])
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or ""
        message = _("This password is too common or too easy to guess. Try a few unrelated words together.")
        return [f"{message} {hint}".strip()]
    return []
