"""Clients and servers for the fault tests (tests/test_faults.py, tests/test_redis_faults.py)."""

import contextlib
import subprocess
import threading
import time
import uuid

import pytest

from bench import harness

FAMILY = "family@example.org"
FAMILY2 = "family2@example.org"
MODERATOR = "moderator@example.org"
ROOM = "welcome"
WAIT = 20

# The marks of a test module that starts portal server processes on PostgreSQL: slow, and on one
# xdist worker at a time (group "servers": ports, processes, timeouts). With Redis as well:
SERVER_MARKS = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.xdist_group("servers"),
    pytest.mark.skipif(not harness.postgres_available(), reason="needs the PostgreSQL server"),
]
SERVER_AND_REDIS_MARKS = [
    *SERVER_MARKS,
    pytest.mark.redis,
    pytest.mark.skipif(not harness.redis_available(), reason="needs the Redis server"),
]


@contextlib.contextmanager
def running(env, name, logs, **extra):
    server = harness.Server({**env, **{k: str(v) for k, v in extra.items()}}, name=name, log_dir=logs)
    try:
        yield server.start()
    finally:
        server.stop()


def call(sio, event, payload):
    return sio.call(event, payload, namespace="/chat", timeout=WAIT)


class Reader:
    """A socket that keeps every message id it receives (join acks and live), with counts."""

    def __init__(self, url, email=MODERATOR, **client_options):
        self.seen = {}
        self.live = []  # ids of live `message` events, in arrival order
        self.delivery = []  # `delivery` events: (monotonic time, live)
        self.lock = threading.Lock()
        self.http = harness.login(url, email)
        handlers = {"message": self._live, "delivery": self._delivery}
        self.sio = harness.socket_client(url, self.http, handlers=handlers, **client_options)

    def _live(self, message):
        if message["room"] == ROOM:
            with self.lock:
                self.live.append(message["id"])
            self._add([message["id"]])

    def _delivery(self, data):
        with self.lock:
            self.delivery.append((time.monotonic(), data["live"]))

    def _add(self, ids):
        with self.lock:
            for message_id in ids:
                self.seen[message_id] = self.seen.get(message_id, 0) + 1

    def newest(self):
        with self.lock:
            return max(self.seen, default=None)

    def join(self):
        """Join with after_id = the newest id held, repeating while has_more (as the rooms client does)."""
        while True:
            ack = call(self.sio, "join", {"room": ROOM, "after_id": self.newest()})
            assert ack["ok"] is True, ack
            self._add([m["id"] for m in ack["messages"]])
            if not ack["has_more"]:
                return ack

    def rejoin(self):
        assert call(self.sio, "leave", {"room": ROOM}) == {"ok": True}
        self.join()

    def close(self):
        with contextlib.suppress(Exception):
            self.sio.disconnect()


class Senders:
    """Threads that each post in the room over their own socket until stopped; keeps acked ids."""

    def __init__(self, url, emails=(FAMILY, FAMILY2, FAMILY)):
        self.url = url
        self.acked = set()
        self.errors = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(email,), daemon=True) for email in emails]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(WAIT + 5)

    def _run(self, email):
        sio = harness.socket_client(self.url, harness.login(self.url, email))
        try:
            call(sio, "join", {"room": ROOM, "after_id": None})
            while not self.stop.is_set():
                ack = call(sio, "send", {"room": ROOM, "body": "churn", "client_id": str(uuid.uuid4())})
                if ack.get("ok"):
                    self.acked.add(ack["message"]["id"])
                else:
                    self.errors.append(ack.get("error"))
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.errors.append(repr(error))
        finally:
            with contextlib.suppress(Exception):
                sio.disconnect()


class PrivateRedis:
    """A redis-server of the test's own on a free port (no persistence), to stop and start."""

    def __init__(self):
        self.port = harness.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],  # noqa: S607
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        import redis

        while time.monotonic() < deadline:
            with contextlib.suppress(redis.exceptions.ConnectionError):
                if redis.Redis.from_url(self.url, socket_timeout=1).ping():
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None
