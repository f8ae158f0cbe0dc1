"""Presence and the chat rate limit on Redis (what several server processes share)."""

import secrets

import pytest

from bench import harness
from portal.rooms import presence, ratelimit

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not harness.redis_available(), reason="needs the Redis server"),
]


@pytest.fixture
def redis_app(app):
    app.config["REDIS_URL"] = harness.redis_server_url()
    app.config["REDIS_KEY_PREFIX"] = f"fbtest-{secrets.token_hex(4)}:"
    app.config["RATELIMIT_KEY_PREFIX"] = app.config["REDIS_KEY_PREFIX"] + "limits"
    for key in ("rooms_presence", "rooms_ratelimit"):
        app.extensions.pop(key, None)
    yield app
    presence.store().clear()
    ratelimit.reset()
    for key in ("rooms_presence", "rooms_ratelimit"):
        app.extensions.pop(key, None)
    app.config["REDIS_URL"] = None


def test_two_processes_agree_on_presence(redis_app):
    one = presence.store()
    other = presence.RedisPresence(redis_app.config["REDIS_URL"], redis_app.config["REDIS_KEY_PREFIX"])
    assert isinstance(one, presence.RedisPresence)
    one.connect("sid-a", 1)
    other.connect("sid-b", 2)
    one.enter("welcome", "sid-a", 1)
    other.enter("welcome", "sid-b", 2)
    assert one.online_user_ids("welcome") == other.online_user_ids("welcome") == {1, 2}
    assert one.sids_of_user(2) == {"sid-b"}
    assert other.disconnect("sid-b") == {"welcome"}
    assert one.online_user_ids("welcome") == {1}
    one.leave("welcome", "sid-a")
    assert other.online_user_ids("welcome") == set()


def test_rate_limit_is_counted_in_redis(redis_app):
    assert [ratelimit.take(42) for _ in range(5)] == [0] * 5
    wait = ratelimit.take(42)
    assert 1 <= wait <= 10
    assert ratelimit.take(43) == 0
