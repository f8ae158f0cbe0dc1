"""Start real servers for benchmarks and server tests: gunicorn + gevent with the production
config, a fresh PostgreSQL database, a Redis key prefix of the run's own.

Used by `python -m bench` and by the server tests (tests/test_production.py, tests/test_multiprocess.py,
tests/test_faults.py, tests/test_redis_faults.py, tests/mail/test_server_delivery.py).
"""

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN = str(BIN / "gunicorn")
FLASK = str(BIN / "flask")
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
DEMO_PASSWORD = "family-bridge-demo"  # noqa: S105 - the documented demo password


def postgres_server_url():
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES


def redis_server_url():
    return os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS


def _required():
    """In CI (CI=true, as .ci/run runs) server tests must run or fail, never skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def postgres_available():
    if _required():
        return True
    try:
        import psycopg

        with psycopg.connect(_libpq(postgres_server_url()), connect_timeout=3):
            return True
    except Exception as exc:  # noqa: BLE001
        return "too many clients" in str(exc)  # running, just busy right now


def redis_available():
    if _required():
        return True
    try:
        import redis

        return bool(redis.Redis.from_url(redis_server_url(), socket_timeout=3).ping())
    except Exception:  # noqa: BLE001
        return False


def _libpq(url):
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


POSTGRES_SOCKET_DIR = "/var/run/postgresql"


@contextlib.contextmanager
def postgres_database(prefix="fb_srv", unix_socket=False):
    """A fresh, uniquely named database on the test PostgreSQL server; dropped afterwards.

    unix_socket=True addresses it through the local socket (as docs/deploy.md recommends when
    PostgreSQL runs on the same host) when the server is local and the socket exists."""
    import psycopg

    server = _libpq(postgres_server_url())
    name = f"{prefix}_{secrets.token_hex(4)}"

    def create():
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            return conn.info.port, conn.info.host, conn.info.user

    port, host, user = _with_retries(create)
    base, _, _ = server.rpartition("/")
    url = f"{base}/{name}"
    local = host in ("127.0.0.1", "localhost", "::1")
    if unix_socket and local and Path(POSTGRES_SOCKET_DIR, f".s.PGSQL.{port}").exists():
        url = f"postgresql://{user}@/{name}?host={POSTGRES_SOCKET_DIR}&port={port}"
    try:
        yield url
    finally:
        _with_retries(lambda: _drop(server, name))


def _drop(server, name):
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _with_retries(action, attempts=30):
    """Retry while the server is busy (e.g. "too many clients" from parallel test runs)."""
    import psycopg

    for attempt in range(attempts):
        try:
            return action()
        except psycopg.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(1)


@contextlib.contextmanager
def redis_namespace():
    """A key prefix of this run's own on the test Redis; its keys are deleted afterwards
    (only those: the rest of the server is left alone)."""
    import redis

    prefix = f"fbtest:{secrets.token_hex(4)}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(redis_server_url())
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()


def server_env(database_url, *, redis_url=None, redis_prefix=None, instance=None, **extra):
    """Environment for a production-config server process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "PYTEST_", "TEST_DATABASE_URL_RUN"))}
    env.update(
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=database_url,
        PORTAL_INSTANCE_PATH=str(instance or tempfile.mkdtemp(prefix="fb-srv-instance-")),
        MFA_REQUIRED_FOR_STAFF="0",
        DEMO_PASSWORD=DEMO_PASSWORD,
        PYTHONUNBUFFERED="1",
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    if redis_prefix:
        env["REDIS_KEY_PREFIX"] = redis_prefix
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(args, env, timeout=300):
    """Run a command in the project root; raise with its output when it fails."""
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def prepare_database(env, *, seed_demo=True):
    """Build the schema the way a deployment does (`flask db upgrade`) and load demo data.

    While the migrations do not yet cover every model (the integrator generates them), fall
    back to create_all on an empty schema; `schema_source` says which one was used.
    """
    source = run([sys.executable, "-m", "bench.schema", "build"], env).strip().splitlines()[-1]
    if seed_demo:
        dev_env = dict(env, PORTAL_ENV="development")
        run([FLASK, "--app", "wsgi", "seed-demo"], dev_env, timeout=600)
    return source


class Server:
    """One gunicorn process (production config, gevent worker) on a free port."""

    def __init__(self, env, app="wsgi:app", port=None, name="server", log_dir=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The browser origin Socket.IO accepts (behind nginx: the public https address).
        self.env = {"PORTAL_BASE_URL": self.url, **env, "PORT": str(self.port)}
        self.app = app
        self.name = name
        self.log_path = Path(log_dir or tempfile.mkdtemp(prefix="fb-srv-log-")) / f"{name}-{self.port}.log"
        self.proc = None

    def start(self, timeout=60):
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(  # noqa: S603
            [GUNICORN, "--config", str(ROOT / "gunicorn.conf.py"), self.app],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_raise_nofile,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout}s:\n{self.log()}")

    def worker_pids(self):
        """The gunicorn worker processes (children of the master)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)  # noqa: S603, S607
        return [int(p) for p in out.stdout.split()]

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def server_pair(database_url, *, redis_url, redis_prefix, instance, log_dir):
    """Two server processes, A and B, on one database with the demo data and one Redis: the
    deployment of the multi-process tests. The pools stay small, as a good neighbour on a shared
    test PostgreSQL."""
    env = server_env(
        database_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        instance=instance,
        DB_POOL_SIZE=4,
        DB_MAX_OVERFLOW=6,
    )
    prepare_database(env, seed_demo=True)
    a = Server(env, name="A", log_dir=log_dir)
    b = Server(env, name="B", log_dir=log_dir)
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.stop()
        b.stop()


def _raise_nofile():
    """Let a server hold many sockets (each Socket.IO connection is one file descriptor)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(target, 65536)), hard))


def raise_own_nofile():
    _raise_nofile()


class _PlainHttpSession(requests.Session):
    """Sends the portal's Secure cookies over plain http to 127.0.0.1 (in deployment nginx
    terminates TLS in front of the same server)."""

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def browser_session():
    return _PlainHttpSession()


def csrf_token(session, url):
    match = CSRF_META.search(session.get(url, timeout=30).text)
    if not match:
        raise RuntimeError(f"no CSRF token on {url}")
    return match.group(1)


def login(base_url, email, password=DEMO_PASSWORD):
    """Sign in through the real login form; returns the requests session."""
    s = browser_session()
    token = csrf_token(s, f"{base_url}/auth/login")
    r = s.post(
        f"{base_url}/auth/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    if r.status_code not in (302, 303):
        raise RuntimeError(f"login as {email} failed: {r.status_code}")
    return s


def cookie_header(session):
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def socket_client(base_url, session=None, *, namespace="/chat", handlers=None, transports=("websocket",)):
    """A python-socketio client connected over WebSocket, with the session's cookie."""
    import socketio

    client = socketio.Client(reconnection=False)
    for event, handler in (handlers or {}).items():
        client.on(event, handler, namespace=namespace)
    headers = {"Cookie": cookie_header(session)} if session is not None else {}
    client.connect(base_url, headers=headers, transports=list(transports), namespaces=[namespace], wait_timeout=30)
    return client
