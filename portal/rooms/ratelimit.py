"""The chat token bucket per person: a burst of 5 per 10 seconds and 30 per minute.

Built on `limits` (as Flask-Limiter is), in memory or in Redis when `REDIS_URL` is set so
every server process counts the same sends. `RATELIMIT_ENABLED=0` switches it off.
"""

import math
import time

from flask import current_app
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

CHAT_LIMITS = parse_many("5 per 10 seconds; 30 per minute")


def _limiter():
    extensions = current_app.extensions
    if "rooms_ratelimit" not in extensions:
        uri = current_app.config.get("REDIS_URL")
        prefix = f"{current_app.config['REDIS_KEY_PREFIX']}limits"  # as Flask-Limiter's (config.py)
        storage = storage_from_string(uri, key_prefix=prefix) if uri else storage_from_string("memory://")
        extensions["rooms_ratelimit"] = MovingWindowRateLimiter(storage)
    return extensions["rooms_ratelimit"]


def take(user_id):
    """Spend one send for user_id; returns 0 if allowed, else seconds to wait (at least 1)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0
    limiter = _limiter()
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
    _limiter().storage.reset()
