"""The production server contract (docs/architecture.md): configuration guards, gunicorn + gevent,
WebSocket transport, logs without secrets, and database waits that do not block the loop."""

import logging
import runpy
import threading
import time
import types
from datetime import timedelta
from pathlib import Path

import pytest

from bench import harness
from portal import create_app
from portal.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "0123456789abcdef"  # 36 characters


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    return monkeypatch


# --- configuration guards -------------------------------------------------------------------


def test_production_refuses_to_start_without_secret_key(production_env):
    production_env.delenv("SECRET_KEY")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app("production")


@pytest.mark.parametrize("key", ["", "short", "change-me", "x" * 31])
def test_production_refuses_a_weak_secret_key(production_env, key):
    production_env.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_to_start_without_database_url(production_env):
    production_env.delenv("DATABASE_URL")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app("production")


def test_production_turns_on_hsts_and_secure_cookies(production_env):
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert app.config["SOCKETIO_ASYNC_MODE"] == "gevent"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True  # no PHI in error logs
    client = app.test_client()
    response = client.get("/auth/login", base_url="https://portal.example.org")
    assert response.status_code == 200
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "the login page starts a session (CSRF token)"
    assert all("Secure" in c and "HttpOnly" in c for c in cookies)


def test_production_trusts_one_proxy_for_client_address_and_scheme(production_env):
    """Behind nginx the per-address login limit must see the visitor, not 127.0.0.1."""
    from flask import request

    app = create_app("production")
    app.add_url_rule("/_whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
    answer = app.test_client().get(
        "/_whoami",
        headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    # only the last hop (added by our nginx) is trusted; the rest could be forged
    assert answer.get_data(as_text=True) == "203.0.113.7 https"


def test_testing_config_trusts_no_proxy_header():
    from flask import request

    app = create_app("testing")
    app.add_url_rule("/_whoami", "whoami", lambda: request.remote_addr)
    answer = app.test_client().get(
        "/_whoami", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert answer.get_data(as_text=True) == "127.0.0.1"


def test_development_sends_no_hsts(tmp_path):
    app = create_app("testing")
    response = app.test_client().get("/healthz")
    assert "Strict-Transport-Security" not in response.headers


def test_redis_settings_follow_the_key_prefix(production_env):
    production_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    # config classes read the environment at import: read it through a fresh module copy
    namespace = runpy.run_path(str(ROOT / "portal" / "config.py"))
    config = namespace["ProductionConfig"]
    assert config.REDIS_URL == "redis://127.0.0.1:6379/3"
    assert f"{config.REDIS_KEY_PREFIX}socketio" == config.SOCKETIO_CHANNEL
    values = {"REDIS_URL": config.REDIS_URL, "RATELIMIT_ENABLED": True, "REDIS_KEY_PREFIX": "fb-one:"}
    config.finalize(values)
    assert values["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert values["RATELIMIT_STORAGE_OPTIONS"] == {"key_prefix": "fb-one:limits"}  # Flask-Limiter's keys too


# --- gunicorn configuration -----------------------------------------------------------------


@pytest.fixture
def gunicorn_conf(monkeypatch):
    for name in ("WEB_CONCURRENCY", "PORT", "BIND_HOST", "GUNICORN_CONTROL_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", "8123")
    return types.SimpleNamespace(**runpy.run_path(str(ROOT / "gunicorn.conf.py")))


def test_the_worker_freezes_its_start_up_objects_and_collects_the_oldest_generation_less_often(gunicorn_conf):
    import gc

    import gevent

    before, callbacks = gc.get_threshold(), list(gc.callbacks)
    tracking = gevent.config.track_greenlet_tree
    gc.unfreeze()  # the test process freezes objects of its own (tests/speedups.py)
    try:
        gunicorn_conf._tune_garbage_collector(object())
        assert gc.get_threshold() == gunicorn_conf.GC_THRESHOLDS
        assert gc.get_threshold()[2] >= 100  # Python's 10 made a full collection every few seconds
        assert gc.get_freeze_count() > 0
        assert len(gc.callbacks) == len(callbacks) + 1
        assert gevent.config.track_greenlet_tree is False
        assert gevent.Greenlet(lambda: None).spawning_stack is None  # no frame records per greenlet
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        gc.callbacks[:] = callbacks
        gevent.config.track_greenlet_tree = tracking


def test_long_garbage_collections_are_logged(gunicorn_conf):
    """A full collection stops the event loop: one that takes the threshold or more is a warning
    in the log (threshold 0 here, so every collection is one)."""
    import gc

    class Log:
        def __init__(self):
            self.lines = []

        def warning(self, text, *args):
            self.lines.append(text % args)

    log = Log()
    before = list(gc.callbacks)
    gunicorn_conf._log_long_collections(log, threshold=0)
    try:
        gc.collect()
    finally:
        gc.callbacks[:] = before
    assert log.lines and log.lines[-1].startswith("garbage collection (generation 2) stopped the event loop for ")
    quiet = Log()
    gunicorn_conf._log_long_collections(quiet, threshold=60)
    try:
        gc.collect()
    finally:
        gc.callbacks[:] = before
    assert quiet.lines == []


def test_gunicorn_runs_one_gevent_worker_on_loopback(gunicorn_conf):
    assert gunicorn_conf.worker_class == "gevent"
    assert gunicorn_conf.workers == 1
    assert gunicorn_conf.bind == "127.0.0.1:8123"
    assert gunicorn_conf.preload_app is False  # psycopg must be imported after monkey-patching
    assert gunicorn_conf.graceful_timeout > 0
    assert gunicorn_conf.control_socket_disable is True
    assert "%(q)s" not in gunicorn_conf.access_log_format
    assert "%(r)s" not in gunicorn_conf.access_log_format
    assert "%(f)s" not in gunicorn_conf.access_log_format


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/calendar/feed/Zq3vR0_abc-DEF123456789xyz.ics", "/calendar/feed/[redacted]"),
        ("/auth/reset/IjEyMyI.ZzAbCd.eFgHiJkLmNoPqRsTuV", "/auth/reset/[redacted]"),
        ("/auth/verify/abc", "/auth/verify/[redacted]"),
        ("/lessons/understanding-iop/what-iop-is", "/lessons/understanding-iop/what-iop-is"),
        ("/x/" + "a1B2" * 10 + "/edit", "/x/[redacted]/edit"),
        ("/healthz", "/healthz"),
    ],
)
def test_access_log_redacts_secret_path_segments(gunicorn_conf, path, expected):
    assert gunicorn_conf.redact_path(path) == expected


def test_access_log_line_has_no_query_string_or_token(gunicorn_conf):
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", gunicorn_conf.access_log_format)
    logger = gunicorn_conf.RedactingLogger(cfg)
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger.access_log.addHandler(handler)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/calendar/feed/SeCrEtToKeN1234567890abcd.ics?token=also-secret",
        "PATH_INFO": "/calendar/feed/SeCrEtToKeN1234567890abcd.ics",
        "QUERY_STRING": "token=also-secret",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "https://portal.example.org/auth/reset/another-secret-token-value-here",
    }
    response = types.SimpleNamespace(status="200 OK", sent=12, headers=[])
    logger.access(response, types.SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    line = "\n".join(records)
    assert "/calendar/feed/[redacted]" in line
    assert "SeCrEtToKeN" not in line
    assert "also-secret" not in line
    assert "another-secret" not in line


# --- a real gunicorn server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    """gunicorn (production config, gevent) serving tests/support/slow_app.py on a fresh
    PostgreSQL database."""
    with harness.postgres_database("fb_prod") as url:
        # RATELIMIT_ENABLED=0 also checks that the portal's own warnings reach the server log
        env = harness.server_env(
            url, instance=tmp_path_factory.mktemp("instance"), RATELIMIT_ENABLED="0", DB_POOL_SIZE=4, DB_MAX_OVERFLOW=6
        )
        harness.prepare_database(env, seed_demo=False)
        server = harness.Server(
            env, app="tests.support.slow_app:app", name="slow", log_dir=tmp_path_factory.mktemp("logs")
        )
        try:
            server.start()
            yield types.SimpleNamespace(server=server, database_url=url)
        finally:
            server.stop()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("servers")
@pytest.mark.skipif(not harness.postgres_available(), reason="needs the PostgreSQL server")
class TestGunicornGevent:
    def test_socketio_connects_over_websocket_transport(self, slow_server):
        client = harness.socket_client(slow_server.server.url, namespace="/_test")
        try:
            assert client.transport() == "websocket"
            assert client.call("join", {"room": "r"}, namespace="/_test", timeout=10) == {"ok": True}
        finally:
            client.disconnect()

    def test_database_wait_does_not_block_realtime_delivery(self, slow_server):
        """A request waits inside PostgreSQL (on an advisory lock this test holds) while two
        Socket.IO clients keep exchanging broadcasts through the same worker process. The
        broadcasts arrive while the request is provably still in flight — no timing involved.
        """
        import psycopg

        from tests.support.slow_app import LOCK_KEY

        url = slow_server.server.url
        heard = []
        arrived = threading.Event()

        def on_heard(data):
            heard.append(data["n"])
            arrived.set()

        listener = harness.socket_client(url, namespace="/_test", handlers={"heard": on_heard})
        speaker = harness.socket_client(url, namespace="/_test")
        slow_result = {}
        with psycopg.connect(slow_server.database_url, autocommit=True) as lock_conn:
            lock_conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))

            def slow_request():
                import requests

                slow_result["response"] = requests.get(f"{url}/_test/wait-for-lock", timeout=120)

            worker = threading.Thread(target=slow_request, daemon=True)
            try:
                listener.call("join", {"room": "r"}, namespace="/_test", timeout=10)
                speaker.call("join", {"room": "r"}, namespace="/_test", timeout=10)
                worker.start()
                _wait_until(lambda: _lock_waiters(lock_conn, LOCK_KEY) == 1, "the request to wait on the lock")

                for n in range(5):
                    arrived.clear()
                    ack = speaker.call("shout", {"room": "r", "n": n}, namespace="/_test", timeout=20)
                    assert ack == {"ok": True}
                    assert arrived.wait(20), f"broadcast {n} was not delivered while the query waited"
                    # still in flight: the server process answered us from inside the wait
                    assert worker.is_alive()
                    assert _lock_waiters(lock_conn, LOCK_KEY) == 1
                    assert "response" not in slow_result
                assert heard == [0, 1, 2, 3, 4]
            finally:
                lock_conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
                if worker.ident is not None:
                    worker.join(60)
                listener.disconnect()
                speaker.disconnect()
        assert slow_result["response"].status_code == 200
        assert slow_result["response"].json() == {"status": "done"}

    def test_server_log_has_no_query_strings_or_tokens(self, slow_server):
        import requests

        url = slow_server.server.url
        requests.get(f"{url}/healthz?reset_token=QUERYSECRET123", timeout=10)
        requests.get(f"{url}/calendar/feed/FEEDSECRET0123456789abcdefgh.ics", timeout=10)
        requests.get(f"{url}/auth/reset/RESETSECRET.abc.def", timeout=10)
        _wait_until(lambda: "/auth/reset/[redacted]" in slow_server.server.log(), "the access log line")
        log = slow_server.server.log()
        assert '"GET /healthz" 200' in log
        assert "/calendar/feed/[redacted]" in log
        for secret in ("QUERYSECRET", "FEEDSECRET", "RESETSECRET"):
            assert secret not in log

    def test_portal_warnings_reach_the_server_log(self, slow_server):
        """docs/architecture.md: with RATELIMIT_ENABLED=0 the server logs a warning at start."""
        assert "RATELIMIT_ENABLED=0: HTTP and chat rate limits are OFF" in slow_server.server.log()

    def test_psycopg_uses_a_cooperative_wait_in_the_worker(self, slow_server):
        """After gevent's monkey-patching psycopg must not pick its blocking C wait function."""
        import requests

        answer = requests.get(f"{slow_server.server.url}/_test/psycopg-wait", timeout=10).json()
        assert answer["socket_patched"] is True
        assert answer["wait"] != "wait_c"


def _lock_waiters(conn, key):
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
        (key,),
    ).fetchone()
    return row[0]


def _wait_until(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
