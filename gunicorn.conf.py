"""Gunicorn settings for the production server (`make serve`, a contract in docs/architecture.md).

    PORTAL_ENV=production gunicorn --config gunicorn.conf.py wsgi:app

Worker: gevent (not eventlet). Flask-SocketIO picks `async_mode="gevent"` from the production
config; WebSocket frames are handled by simple-websocket on top of the raw socket that
gunicorn's gevent worker puts into the WSGI environ (`gunicorn.socket`), so no
gevent-websocket worker class is needed (verified by tests/test_production.py, which connects
a python-socketio client with transports=["websocket"]).

Workers: ONE per port by default. Socket.IO's long-polling transport sends several HTTP
requests per session that must reach the same process (the session lives in that process's
memory), and gunicorn spreads requests across its workers at random. Scale out with more
*processes on more ports* behind nginx with sticky sessions (ip_hash) or WebSocket-only
transport, sharing PostgreSQL and the Redis message queue — see docs/deploy.md.
WEB_CONCURRENCY > 1 is only safe when every client uses the WebSocket transport only.

Do NOT set preload_app: the app (and psycopg) must be imported after the gevent worker has
monkey-patched the standard library. psycopg 3 chooses its wait function at import time —
its C `wait_c` would block the whole process during a query; after patching it picks
`wait_poll`, which gevent turns into a cooperative wait. This file therefore imports nothing
from the portal.
"""

import logging
import os
import re
import sys

from gunicorn.glogging import Logger

bind = f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{int(os.environ.get('PORT', '5000'))}"
worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
# Concurrent connections per worker (each open Socket.IO connection holds one). The process
# also needs `ulimit -n` above this (LimitNOFILE in the systemd unit).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "4000"))

# An idle WebSocket is not a stuck worker: the gevent worker heartbeats from its own loop, so
# `timeout` only catches a worker whose event loop is blocked for this long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
preload_app = False
# Behind nginx on the same host: trust X-Forwarded-* only from loopback.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

# gunicorn's control socket (gunicornc) defaults to ONE path per user, which two portal
# processes on one host would fight over: off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Request line limits (the portal's forms are POST bodies, URLs are short).
limit_request_line = 4096

# Logs go to stdout/stderr (journald under systemd). The access log records method, path
# WITHOUT the query string, status, size and duration — never query strings, referers,
# cookies, or the secret tokens that some paths carry (calendar feeds, email verification,
# password reset). No request bodies are logged anywhere.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

# The application's own log ("portal" logger: warnings such as RATELIMIT_ENABLED=0, errors
# with tracebacks) goes to the error log stream too; without this gunicorn would drop it.
# Configured here, before the workers fork, without importing the portal.
_portal_log = logging.getLogger("portal")
if not any(getattr(h, "_family_bridge", False) for h in _portal_log.handlers):
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(
        logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S %z")
    )
    _handler._family_bridge = True
    _portal_log.addHandler(_handler)
_portal_log.setLevel(os.environ.get("PORTAL_LOG_LEVEL", "INFO").upper())
_portal_log.propagate = False
# Flask-Limiter's warnings too ("Rate limit storage unreachable - falling back to in-memory
# storage" while Redis is away, docs/deploy.md "When things fail").
_limiter_log = logging.getLogger("flask-limiter")
if not _limiter_log.handlers:
    _limiter_log.addHandler(next(h for h in _portal_log.handlers if getattr(h, "_family_bridge", False)))
    _limiter_log.setLevel(logging.WARNING)
    _limiter_log.propagate = False

# Path segments that are secrets: /calendar/feed/<token>.ics, /auth/verify/<token>,
# /auth/reset/<token>; and, as a safety net, any long token-like segment anywhere.
# portal/logs.py redacts the development server's log with the same patterns (a copy: this
# file imports nothing from the portal; tests/test_logs.py checks that the two agree).
_SECRET_AFTER = re.compile(r"^(/calendar/feed/|/auth/verify/|/auth/reset/)[^/]+")
_TOKENISH = re.compile(r"(?<=/)[A-Za-z0-9_\-.~]{24,}(?=/|$)")


def redact_path(path):
    """The request path with secret segments replaced, for logs."""
    path = _SECRET_AFTER.sub(r"\1[redacted]", path or "")
    return _TOKENISH.sub("[redacted]", path)


class RedactingLogger(Logger):
    """Gunicorn's logger with query strings dropped and secret path segments redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO", ""))
        atoms["U"] = path
        atoms["q"] = ""
        atoms["r"] = f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}"
        atoms["f"] = "-"  # the referer can carry a token too
        return atoms


logger_class = RedactingLogger


def when_ready(server):
    server.log.info("Family Bridge listening on %s (gevent, %s worker(s))", bind, workers)


def post_worker_init(worker):
    """The app is loaded in the worker now (no preload): move everything it allocated at start-up
    (modules, the app, SQLAlchemy mappers, Babel catalogs: ~190,000 objects) out of the cyclic
    garbage collector's reach. Otherwise every full collection walks them all — tens of ms
    with the event loop stopped, which lands in the chat fan-out's tail latency. Those objects
    live as long as the process anyway; full collections come less often (GC_THRESHOLDS) and the
    long ones are logged. Applies to the bench's bare server too (same file)."""
    _tune_garbage_collector(worker.log)
    _start_upkeep(worker)
    _on_stop_move_sockets(worker)


def _tune_garbage_collector(log):
    import gc

    import gevent

    # By default each greenlet records the stack that spawned it (for gevent's debugging
    # printouts, which the portal does not use): ten frame records per greenlet, three greenlets
    # per open socket — one in seven of the objects a full collection walked at 400 sockets.
    gevent.config.track_greenlet_tree = False
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    _log_long_collections(log)


# The collector's thresholds, the last raised from Python's 10: with 700 families connected a
# collection of the oldest generation — 150–300 ms with the event loop stopped, walking every
# socket's objects — came every 5–10 s (logged by _log_long_collections) and was the chat's
# delivery tail; it now waits for ten times as many younger collections (one in a 2-minute
# step at 700 families). Raising the first number instead (50,000) made each young collection
# take 50–130 ms: more objects per pass, not fewer passes. Objects without reference cycles
# are freed at once either way; only cyclic garbage waits longer.
GC_THRESHOLDS = (700, 10, 100)


def _log_long_collections(log, threshold=0.05):
    """A collection of the oldest generation stops the event loop while it walks every object
    the process made since start-up (each open socket brings hundreds): log the ones that take
    `threshold` seconds or more, so a latency tail can be matched with one."""
    import gc
    import time

    started = []

    def watch(phase, info):
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            took = time.perf_counter() - started.pop()
            if took >= threshold:
                log.warning(
                    "garbage collection (generation %s) stopped the event loop for %.0f ms",
                    info.get("generation"),
                    took * 1000,
                )

    gc.callbacks.append(watch)


def _start_upkeep(worker):
    """The portal's background work, started once the worker has loaded the app (not for the
    bench's bare server): upkeep (portal/upkeep.py: consent expiry, idle-session sockets) and
    delivery of the outgoing-mail queue (portal/mail/worker.py)."""
    app = getattr(worker, "wsgi", None)
    if getattr(app, "import_name", None) != "portal":
        return
    from portal import upkeep
    from portal.mail.worker import start_background_delivery

    upkeep.start(app)
    start_background_delivery(app)


def _on_stop_move_sockets(worker):
    """SIGHUP (reload: a new worker is started, then this one is stopped) or SIGTERM: this
    worker stops accepting within a second, but its WebSocket connections would stay until the
    graceful timeout (20 s) and then be cut. Instead, once it no longer accepts, it asks its
    chat sockets to reconnect (portal.rooms.broadcast.move_sockets_elsewhere): the browsers
    come back at once, to the new worker, and rejoin with after_id (nothing acked is missed:
    docs/realtime.md). gunicorn has no hook for SIGTERM in the worker, so a greenlet watches
    `worker.alive`, which its SIGTERM handler clears."""
    import gevent

    app = worker.wsgi
    if "socketio" not in getattr(app, "extensions", {}):
        return  # not the portal (the bench's bare server)

    def watch():
        while worker.alive:
            gevent.sleep(0.2)
        gevent.sleep(1.1)  # the worker's loop closes its listening sockets within 1 s
        _wait_for_a_successor(worker)
        try:
            from portal.rooms.broadcast import move_sockets_elsewhere

            moved = move_sockets_elsewhere(app.extensions["socketio"].server)
            worker.log.info("worker %s stopping: asked %d chat socket(s) to reconnect", worker.pid, moved)
        except Exception:  # noqa: BLE001 - never stand in the way of the shutdown
            worker.log.exception("asking chat sockets to reconnect failed")

    gevent.spawn(watch)


def _wait_for_a_successor(worker):
    """On a reload the new worker is started at the same moment as this one is told to stop,
    and loading the app takes it a few seconds: sockets moved now would find nobody answering
    and back off. This worker no longer accepts, so an answer on the shared port comes from the
    new one: wait for it (any HTTP status), at most until shortly before the graceful timeout.
    On a shutdown the master has closed the port too: the probe is refused, and the sockets are
    told at once (they come back when the service is started again)."""
    import http.client
    import time

    address = worker.cfg.address[0] if worker.cfg.address else None
    if not isinstance(address, tuple):
        return  # a unix socket: nothing to probe
    host = "127.0.0.1" if address[0] in ("", "0.0.0.0", "::") else address[0]  # noqa: S104
    deadline = time.monotonic() + max(1, worker.cfg.graceful_timeout - 3)
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection(host, address[1], timeout=1)
            probe.request("GET", "/healthz")
            probe.getresponse().read()
            probe.close()
            return
        except ConnectionRefusedError:
            return  # nobody holds the port: a shutdown, not a reload
        except OSError:
            time.sleep(0.2)
