"""Every key the portal writes to Redis is under REDIS_KEY_PREFIX, rate-limit counters included
(Flask-Limiter's HTTP limits and the chat limit), against the real Redis server."""

import random
import re
import secrets

import pytest

from bench import harness
from portal import create_app
from portal.extensions import db, socketio
from portal.rooms import ratelimit

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not harness.redis_available(), reason="needs the Redis server"),
]


@pytest.fixture
def redis_app(_schema, database_url):
    import redis

    prefix = f"fbtest-{secrets.token_hex(4)}:"
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=harness.redis_server_url(), REDIS_KEY_PREFIX=prefix
    )
    server = redis.Redis.from_url(harness.redis_server_url())
    with app.app_context():
        yield app, server
        db.session.remove()
        db.engine.dispose()
    for key in server.scan_iter(f"{prefix}*"):
        server.delete(key)
    # Flask-SocketIO keeps the Redis manager it built in its options, and a later init_app
    # without a queue reuses it: the next test's socket test client would refuse to start.
    socketio.server_options.pop("client_manager", None)


def test_rate_limit_keys_are_under_the_prefix(redis_app):
    app, server = redis_app
    prefix = app.config["REDIS_KEY_PREFIX"]
    address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    user_id = random.randint(10**8, 10**9)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/auth/reset").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/auth/reset", data={"email": "nobody@example.org", "csrf_token": token})
    assert response.status_code < 500
    assert ratelimit.take(user_id) == 0

    mine = [k.decode() for k in server.scan_iter(f"*{address}*")] + [
        k.decode() for k in server.scan_iter(f"*chat-send:{user_id}/*")
    ]
    assert any(address in k for k in mine)  # Flask-Limiter's counter
    assert any(f"chat-send:{user_id}/" in k for k in mine)  # the chat limit's
    assert all(k.startswith(f"{prefix}limits:") for k in mine), mine


def test_sign_in_delay_counters_are_under_the_prefix(redis_app):
    from portal.auth import throttle

    app, server = redis_app
    prefix = app.config["REDIS_KEY_PREFIX"]
    email = f"pat-{secrets.token_hex(4)}@example.org"
    with app.test_request_context():
        for _ in range(throttle.FREE_FAILURES):
            throttle.note_failure(email)
        assert throttle.seconds_to_wait(email) == 2  # shared by every process through Redis
    keys = [k.decode() for k in server.scan_iter(f"*{email}*")]
    assert keys and all(k.startswith(f"{prefix}limits:") for k in keys), keys
