"""Answers while the database or Redis is away (issue 17): a branded 503 page, an `unavailable`
ack with `retry_after` — never a bare 500, never `invalid` for a fault that will pass, never a
socket left waiting. The real outages (a stopped proxy, a stopped Redis) are in
tests/test_faults.py and tests/test_redis_faults.py; these are the quick in-process checks."""

import pytest
import redis
from sqlalchemy.exc import OperationalError

from portal.auth import sessions
from portal.extensions import socketio
from portal.rooms import ratelimit
from tests.rooms.conftest import ack, member, new_id


def _database_gone(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


@pytest.fixture
def database_away(monkeypatch):
    def away():
        monkeypatch.setattr(sessions, "_load_session_record", _database_gone)

    return away


def test_signed_in_pages_are_a_branded_503_while_the_database_is_away(app, auth, welcome, database_away):
    alice = member()
    auth.login(alice.email)
    database_away()
    for path in ("/", "/rooms/", "/rooms/welcome"):
        response = auth._client.get(path)
        assert response.status_code == 503, path
        assert "briefly unavailable" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "10"


def test_socket_events_answer_unavailable_not_invalid(app, chat, welcome, database_away):
    sock = chat.connect(member())
    assert ack(sock, "join", {"room": "welcome"})["ok"] is True
    database_away()
    for event, payload in [
        ("send", {"room": "welcome", "body": "kept in the outbox", "client_id": new_id()}),
        ("join", {"room": "welcome", "after_id": 0}),
        ("history", {"room": "welcome", "before_id": 5}),
    ]:
        answer = ack(sock, event, payload)
        assert answer["ok"] is False and answer["error"] == "unavailable", (event, answer)
        assert answer["retry_after"] == 10 and answer["message"]


def test_a_new_socket_is_refused_at_once_while_the_database_is_away(app, auth, database_away):
    auth.login(member().email)
    database_away()
    sock = socketio.test_client(app, namespace="/chat", flask_test_client=auth._client)
    assert not sock.is_connected("/chat")


def test_a_rate_limit_store_that_fails_is_never_an_invalid_ack(app, chat, welcome, monkeypatch):
    sock = chat.connect(member())
    ack(sock, "join", {"room": "welcome"})

    def redis_gone(user_id):
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr(ratelimit, "take", redis_gone)
    answer = ack(sock, "send", {"room": "welcome", "body": "hello", "client_id": new_id()})
    assert answer["error"] == "unavailable"


@pytest.fixture
def redis_away(app):
    """A Redis address where nothing listens."""
    from bench import harness

    app.config["REDIS_URL"] = f"redis://127.0.0.1:{harness.free_port()}/0"
    app.extensions.pop("rooms_ratelimit", None)
    yield app.config["REDIS_URL"]
    app.config["REDIS_URL"] = None
    app.extensions.pop("rooms_ratelimit", None)


def test_chat_rate_limit_counts_in_memory_while_redis_is_away(app, redis_away, caplog):
    waits = [ratelimit.take(7) for _ in range(6)]
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5] >= 1  # still limited, in this process's memory
    assert "Redis unreachable" in caplog.text


def test_presence_answers_from_this_process_while_redis_is_away(app, redis_away, caplog):
    from portal.rooms.presence import RedisPresence

    store = RedisPresence(redis_away, "fb-away:", heartbeat=False)
    store.connect("sid-1", 7, 70)
    store.enter("welcome", "sid-1", 7)
    assert store.online_user_ids("welcome") == {7}
    assert store.sids_of_user(7) == {"sid-1"}
    assert store.session_records_of(["sid-1"]) == {"sid-1": 70}
    assert store.rooms_of("sid-1") == {"welcome"}
    assert store.disconnect("sid-1") == {"welcome"}
    assert store.online_user_ids("welcome") == set()
    assert caplog.text.count("presence: Redis unreachable") == 1  # once per outage, not per call


def test_sign_in_works_while_redis_is_away(app, auth, redis_away, caplog):
    """The sign-in throttle's counters live in Redis: while it is away they count in memory."""
    app.extensions.pop("login_throttle", None)
    alice = member()
    assert auth.login(alice.email, "wrong password").status_code == 422  # the form again, not a 500
    assert auth.login(alice.email).status_code == 302
    assert "sign-in throttle: Redis unreachable" in caplog.text
    app.extensions.pop("login_throttle", None)
