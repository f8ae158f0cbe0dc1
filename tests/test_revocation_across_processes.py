"""A session ended on one process is refused on the other at its very next request and socket
event — also when the process that ends it cannot reach Redis (docs/privacy.md: revocation takes
effect at once).

Two gunicorn processes (production config) share one fresh PostgreSQL database and the test
Redis; process A reaches Redis through a TCP proxy that the test stops, so A alone loses Redis
while B keeps it. Nothing about a session is kept between requests in a process: each request
and each socket event reads the session record again, which is what these tests hold.
"""

import time
import urllib.parse

import pytest
import socketio

from bench import harness
from tests.support.faults import FAMILY, ROOM, SERVER_AND_REDIS_MARKS, call
from tests.support.tcp_proxy import TcpProxy

pytestmark = SERVER_AND_REDIS_MARKS


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(A, B, the proxy between A and Redis)."""
    redis_url = harness.redis_server_url()
    target = urllib.parse.urlsplit(redis_url)
    proxy = TcpProxy(target.hostname, target.port or 6379).start()
    through_proxy = target._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
    logs = tmp_path_factory.mktemp("logs")
    try:
        with harness.postgres_database("fb_revoke") as url, harness.redis_namespace() as prefix:
            env = harness.server_env(
                url,
                redis_url=redis_url,
                redis_prefix=prefix,
                instance=tmp_path_factory.mktemp("instance"),
                RATELIMIT_ENABLED="0",
                DB_POOL_SIZE=4,
                DB_MAX_OVERFLOW=6,
            )
            harness.prepare_database(env, seed_demo=True)
            with (
                harness.Server({**env, "REDIS_URL": through_proxy}, name="A", log_dir=logs) as a,
                harness.Server(env, name="B", log_dir=logs) as b,
            ):
                yield a, b, proxy
    finally:
        proxy.stop()


def _signed_in_on_b(a, b):
    """A person signed in on A, with a socket on B that has joined the room."""
    person = harness.login(a.url, FAMILY)
    assert person.get(f"{b.url}/dashboard", timeout=30, allow_redirects=False).status_code == 200
    sio = harness.socket_client(b.url, _with_cookie(harness.cookie_header(person)))  # as the refusal below
    assert call(sio, "join", {"room": ROOM, "after_id": None})["ok"] is True
    return person, sio


def _log_out_on_a(a, person):
    """Sign out on A; returns the old cookie, which another tab (or a thief) may still send."""
    old_cookie = harness.cookie_header(person)
    token = harness.csrf_token(person, f"{a.url}/dashboard")
    answer = person.post(f"{a.url}/auth/logout", data={"csrf_token": token}, timeout=30, allow_redirects=False)
    assert answer.status_code in (302, 303), answer.status_code
    return old_cookie


def _assert_refused_on_b(b, old_cookie, sio):
    page = harness.browser_session().get(
        f"{b.url}/dashboard", headers={"Cookie": old_cookie}, timeout=30, allow_redirects=False
    )
    assert page.status_code in (302, 303) and "/auth/login" in page.headers["Location"], page.status_code
    if sio.connected:  # the disconnect through Redis may not have come (A cannot reach Redis)
        _assert_answered_unauthorized_then_disconnected(sio)
    sio.disconnect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        harness.socket_client(b.url, _with_cookie(old_cookie))


def _assert_answered_unauthorized_then_disconnected(sio):
    """The next event is answered `unauthorized`, and only then is the socket ended (a
    disconnect sent first would reach the client before the answer, which is then lost).

    The disconnect that B sends on hearing of the sign-out through Redis can cross the event on
    the wire: then B ended the socket before the event reached it, and there is nothing to answer.
    That is a refusal too; an event neither answered nor followed by the end of the socket is not."""
    try:
        ack = sio.call("join", {"room": ROOM, "after_id": None}, namespace="/chat", timeout=5)
    except socketio.exceptions.TimeoutError:
        assert not sio.connected, "B neither answered the revoked session's event nor ended its socket"
        return
    assert ack["ok"] is False and ack["error"] == "unauthorized", ack
    assert _wait_for(lambda: not sio.connected, 10), "B kept the revoked session's socket open"


def _with_cookie(header):
    session = harness.browser_session()
    for pair in header.split("; "):
        name, _, value = pair.partition("=")
        session.cookies.set(name, value)
    return session


def _wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def test_a_session_ended_on_a_is_refused_on_b_at_once(pair):
    a, b, _proxy = pair
    person, sio = _signed_in_on_b(a, b)
    _assert_refused_on_b(b, _log_out_on_a(a, person), sio)


def test_also_when_the_process_that_ends_it_cannot_reach_redis(pair):
    a, b, proxy = pair
    person, sio = _signed_in_on_b(a, b)
    proxy.stop()  # A loses Redis; B keeps it
    try:
        old_cookie = _log_out_on_a(a, person)
        _assert_refused_on_b(b, old_cookie, sio)
    finally:
        proxy.start()
