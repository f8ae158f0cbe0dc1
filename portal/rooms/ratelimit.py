"""The chat token bucket per person: a burst of 5 per 10 seconds and 30 per minute.

Built on `limits` (as Flask-Limiter is), in memory or in Redis when `REDIS_URL` is set so
every server process counts the same sends. `RATELIMIT_ENABLED=0` switches it off.

While Redis is away the count goes on in this process's memory (a logged warning; each
process then counts on its own, so the limit is at most as many times looser as there are
processes), and Redis is asked again every RETRY_REDIS seconds. A send is never refused
because the counter's store failed (issue 17: it used to be answered `invalid`).
"""

import logging
import math
import time

from flask import current_app
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from portal.errors import is_redis_outage

log = logging.getLogger("portal.rooms")
CHAT_LIMITS = parse_many("5 per 10 seconds; 30 per minute")
RETRY_REDIS = 5.0


class _Limiters:
    def __init__(self, uri, prefix):
        self.shared = MovingWindowRateLimiter(storage_from_string(uri, key_prefix=prefix)) if uri else None
        self.memory = MovingWindowRateLimiter(storage_from_string("memory://"))
        self.away_since = None  # monotonic time Redis last failed


def _limiters():
    extensions = current_app.extensions
    if "rooms_ratelimit" not in extensions:
        uri = current_app.config.get("REDIS_URL")
        prefix = f"{current_app.config['REDIS_KEY_PREFIX']}limits"  # as Flask-Limiter's (config.py)
        extensions["rooms_ratelimit"] = _Limiters(uri, prefix)
    return extensions["rooms_ratelimit"]


def take(user_id):
    """Spend one send for user_id; returns 0 if allowed, else seconds to wait (at least 1)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0
    limiters = _limiters()
    if limiters.shared is None:
        return _take(limiters.memory, user_id)
    if limiters.away_since is not None and time.monotonic() - limiters.away_since < RETRY_REDIS:
        return _take(limiters.memory, user_id)
    try:
        wait = _take(limiters.shared, user_id)
    except Exception as error:
        if not is_redis_outage(error):
            raise
        if limiters.away_since is None:
            log.warning("chat rate limit: Redis unreachable; counting in this process's memory until it returns")
        limiters.away_since = time.monotonic()
        return _take(limiters.memory, user_id)
    if limiters.away_since is not None:
        log.warning("chat rate limit: Redis back; counting across processes again")
        limiters.away_since = None
    return wait


def _take(limiter, user_id):
    key = f"chat-send:{user_id}"
    for item in CHAT_LIMITS:
        if not limiter.test(item, key):
            reset_at, _remaining = limiter.get_window_stats(item, key)
            return max(1, math.ceil(reset_at - time.time()))
    for item in CHAT_LIMITS:
        limiter.hit(item, key)
    return 0


def reset():
    """Empty the counters (tests)."""
    limiters = _limiters()
    for limiter in (limiters.shared, limiters.memory):
        if limiter is not None:
            limiter.storage.reset()
    limiters.away_since = None
