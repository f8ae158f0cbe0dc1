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
    for key in ("rooms_presence", "rooms_ratelimit"):
        app.extensions.pop(key, None)
    yield app
    presence.store().close()
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


def _store(app, **options):
    """Another server process's presence store (no heartbeat task: the tests beat by hand)."""
    options.setdefault("heartbeat", False)
    return presence.RedisPresence(app.config["REDIS_URL"], app.config["REDIS_KEY_PREFIX"], **options)


def _keys(app):
    import redis

    r = redis.Redis.from_url(app.config["REDIS_URL"], decode_responses=True)
    return r, {key: r.type(key) for key in r.scan_iter(app.config["REDIS_KEY_PREFIX"] + "presence:*")}


def test_people_of_a_crashed_process_drop_out_of_online(redis_app):
    crashed, alive = _store(redis_app), _store(redis_app, prune_every=0)
    crashed.connect("sid-dead", 1, record_id=10)
    crashed.enter("welcome", "sid-dead", 1)
    alive.connect("sid-live", 2, record_id=20)
    alive.enter("welcome", "sid-live", 2)
    assert alive.online_user_ids("welcome") == {1, 2}
    r, _ = _keys(redis_app)
    assert 0 < r.ttl(f"{redis_app.config['REDIS_KEY_PREFIX']}presence:proc:{crashed.process_id}") <= crashed.ttl

    # the process dies without a word: nothing renews its heartbeat, which then expires
    r.delete(f"{redis_app.config['REDIS_KEY_PREFIX']}presence:proc:{crashed.process_id}")

    assert alive.online_user_ids("welcome") == {2}
    assert alive.sids_of_user(1) == set()
    assert alive.session_records_of(["sid-dead", "sid-live"]) == {"sid-dead": None, "sid-live": 20}
    _, keys = _keys(redis_app)
    assert not [key for key in keys if "sid-dead" in key or crashed.process_id in key]
    assert r.smembers(f"{redis_app.config['REDIS_KEY_PREFIX']}presence:procs") == {alive.process_id}


def test_a_live_process_that_stalled_past_its_heartbeat_writes_its_sockets_back(redis_app):
    stalled, other = _store(redis_app), _store(redis_app, prune_every=0)
    stalled.connect("sid-slow", 1)
    stalled.enter("welcome", "sid-slow", 1)
    r, _ = _keys(redis_app)
    r.delete(f"{redis_app.config['REDIS_KEY_PREFIX']}presence:proc:{stalled.process_id}")
    assert other.online_user_ids("welcome") == set()  # pruned as dead
    stalled.beat()  # it wakes up: its heartbeat is gone, so it registers its sockets again
    assert other.online_user_ids("welcome") == {1}
    assert other.sids_of_user(1) == {"sid-slow"}
    assert stalled.rooms_of("sid-slow") == {"welcome"}


def test_the_heartbeat_renews_the_key_and_a_clean_close_leaves_nothing(redis_app):
    store = _store(redis_app, ttl=30)
    store.connect("sid-a", 1)
    store.enter("welcome", "sid-a", 1)
    r, _ = _keys(redis_app)
    key = f"{redis_app.config['REDIS_KEY_PREFIX']}presence:proc:{store.process_id}"
    r.expire(key, 2)
    store.beat()
    assert r.ttl(key) > 2
    store.close()
    _, keys = _keys(redis_app)
    assert keys == {}


def test_the_heartbeat_task_starts_with_the_first_socket(redis_app):
    store = _store(redis_app, heartbeat=True)
    try:
        assert store._heartbeat is None
        store.connect("sid-a", 1)
        assert store._heartbeat is not None and store._heartbeat.is_alive()
    finally:
        store.close()
    store._heartbeat.join(timeout=30)
    assert not store._heartbeat.is_alive()


def test_memory_presence_has_the_same_interface(app):
    store = presence.MemoryPresence()
    store.connect("sid-a", 1)
    store.enter("welcome", "sid-a", 1)
    assert store.prune() == set()
    assert store.online_user_ids("welcome") == {1}


def test_each_process_sweeps_only_its_own_sockets(redis_app):
    """The upkeep loop closes the sockets of ended sessions on the process that holds them."""
    one, other = presence.store(), _store(redis_app)
    one.connect("sid-a", 1, record_id=10)
    other.connect("sid-b", 2, record_id=20)
    assert one.local_session_records() == {"sid-a": 10}
    assert other.local_session_records() == {"sid-b": 20}
    one.disconnect("sid-a")
    assert one.local_session_records() == {}
    other.close()
