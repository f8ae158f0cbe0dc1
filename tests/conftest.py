"""Shared fixtures: an app on a database of this run's own, clients, and data builders.

The suite runs on SQLite by default; with TEST_DATABASE_URL (a PostgreSQL server address) each
run (and each xdist worker) creates a database of its own and drops it at the end.
"""

import os
import re
import secrets
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

os.environ.setdefault("PORTAL_ENV", "testing")
_INSTANCE = tempfile.mkdtemp(prefix="fb-instance-")
os.environ["PORTAL_INSTANCE_PATH"] = _INSTANCE

from portal import create_app  # noqa: E402
from portal.extensions import db, limiter  # noqa: E402
from portal.security import Role  # noqa: E402
from tests import catalogues, speedups  # noqa: E402
from tests.factories import DEMO_PASSWORD, PASSWORD, make_client, make_program, make_user  # noqa: E402

speedups.install()
catalogues.compile_stale()  # the Spanish interface needs its compiled catalogue (make does this too)


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the portal's database (the second, PostgreSQL pass of "
        "`make test`: tests that never open a database already ran in the SQLite pass)",
    )


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--database-tests-only"):
        return
    keep, drop = [], []
    for item in items:
        uses_database = "database_url" in getattr(item, "fixturenames", ())
        (keep if uses_database else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_logfinish(nodeid, location):
    speedups.after_test()


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _postgres_database(server_url, worker):
    """Create a uniquely named database on the server; returns (url, drop)."""
    import psycopg

    name = f"fb_test_{worker}_{secrets.token_hex(4)}"
    admin_url = sa.make_url(server_url).set(drivername="postgresql")
    conninfo = admin_url.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # A test database is dropped at the end of the run: no test needs a commit to survive a
        # crash of the server, so commits return without waiting for the disk.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')

    def drop():
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(worker_id, tmp_path_factory):
    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        url, drop = _postgres_database(server, worker_id)
        yield url
        drop()
    else:
        path = tmp_path_factory.mktemp("db") / "portal.sqlite3"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def worker_id(request):
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
        if database_url.startswith("sqlite"):
            _EMPTY_SNAPSHOTS[database_url] = DatabaseSnapshot(database_url)
        yield
        db.session.remove()
        db.engine.dispose()


def _empty_all_tables(keep=None):
    """Delete every row and restart the id sequences (PostgreSQL). DELETE rather than TRUNCATE:
    truncating ~50 tables gives each a new file on disk, a tenth of a second or more per test.
    Only the tables that hold rows are emptied: one statement finds them, and most tests write
    to a handful of tables (SQLite cannot skip the work of a DELETE on an empty table with
    foreign keys or triggers: sixty of them were a third of a short test's time).

    On PostgreSQL the tables are locked first, as TRUNCATE would lock them: a DELETE alone does
    not wait for a transaction still running (a browser test's server finishing a request), and
    the row it commits afterwards would survive into the next test and collide with the
    restarted ids. Every sequence restarts, as a table emptied during the test holds no rows but
    has moved its sequence on.

    `keep(conn)`, asked after the lock, names tables to leave as they are (see DatabaseSnapshot);
    returns the tables it left."""
    db.session.remove()
    empty = _EMPTY_SNAPSHOTS.get(db.engine.url.render_as_string(hide_password=False))  # SQLite only
    filled = _filled_tables() if empty is not None else None
    if filled is not None and len(filled) >= COPY_WHEN_FILLED:
        empty.restore()  # the demo data's lesson tables have search triggers: a copy is quicker
        return set()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            conn.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
        if filled is None:
            filled = _filled_tables(conn)  # PostgreSQL: after the lock, so no row comes in behind it
        kept = keep(conn) if keep is not None else set()
        filled -= kept
        statements = [f'DELETE FROM "{t.name}"' for t in tables if t.name in filled]  # noqa: S608 (our own table names)
        if conn.dialect.name == "postgresql":
            # setval, not ALTER SEQUENCE … RESTART: a function call, where sixty ALTERs (catalog
            # changes) took longer than all the DELETEs together
            restart = ", ".join(f"setval('{name}', 1, false)" for name in _sequences(conn))
            statements.append(f"SELECT {restart}")
            conn.exec_driver_sql("; ".join(statements))
        else:
            for statement in statements:
                conn.exec_driver_sql(statement)
    return kept


_FILLED_TABLES: dict[str, str] = {}
# SQLite: with this many tables holding rows (the demo data fills about thirty), the copy of the
# empty schema taken at the start (`_schema`) is put back instead: a few milliseconds, where the
# DELETEs ran every lesson row through the search index's triggers.
COPY_WHEN_FILLED = 8
_EMPTY_SNAPSHOTS: dict[str, "DatabaseSnapshot"] = {}


def _filled_tables(conn=None):
    """The names of the tables that hold at least one row: one statement, one page read per table."""
    if conn is None:
        with db.engine.connect() as conn:
            return _filled_tables(conn)
    query = _FILLED_TABLES.get(conn.dialect.name)
    if query is None:
        query = _FILLED_TABLES[conn.dialect.name] = " UNION ALL ".join(
            f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"  # noqa: S608 (our own table names)
            for t in db.metadata.sorted_tables
        )
    return set(conn.exec_driver_sql(query).scalars())


_SEQUENCES: dict[str, list[str]] = {}


def _sequences(conn):
    """The id sequences of this database's tables (asked once per database)."""
    key = conn.engine.url.render_as_string()
    if key not in _SEQUENCES:
        _SEQUENCES[key] = (
            conn.exec_driver_sql(
                "SELECT pg_get_serial_sequence(quote_ident(table_schema) || '.' || quote_ident(table_name),"
                " column_name)"
                " FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND (starts_with(column_default, 'nextval(') OR is_identity = 'YES')"
            )
            .scalars()
            .all()
        )
    return _SEQUENCES[key]


NEXT_IS_SEEDED = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    """Note whether the test that runs next here starts from the demo data (see `app`)."""
    item.stash[NEXT_IS_SEEDED] = nextitem is not None and "seeded" in getattr(nextitem, "fixturenames", ())


@pytest.fixture
def app(_schema, database_url, tmp_path, request):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        MAIL_OUTBOX=str(tmp_path / "outbox"),
    )
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    with app.app_context():
        limiter.reset()
        yield app
        if request.node.stash.get(NEXT_IS_SEEDED, False):
            db.session.remove()  # the next test puts the demo data back over whatever is here
        else:
            _empty_all_tables()
        # The engine (and its pool) is shared by the apps of this process (tests/speedups.py):
        # its connections stay open for the next test, as a server's would between requests.


def _fresh_g():
    """Requests reuse the test's pushed app context; give each one an empty `g`, as in production."""
    from flask import g

    vars(g).clear()


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request, monkeypatch):
    """argon2 with tiny parameters keeps a suite full of sign-ins quick; tests of the real
    parameters (rehash on login) opt out with @pytest.mark.real_argon2."""
    if request.node.get_closest_marker("real_argon2"):
        return
    from argon2 import PasswordHasher

    from portal.auth import passwords

    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


class DatabaseSnapshot:
    """Every row of every table, taken once, put back in a few milliseconds (SQLite: the backup
    API into the test's database file; PostgreSQL: the rows inserted again, sequences moved on).

    The rows are in primary-key order: tests take "the first series" from them, and PostgreSQL
    returns an unordered scan in whatever order the heap holds (a row can land in space an
    earlier test's DELETE freed), so without it that was sometimes the in-person group.

    On PostgreSQL the curriculum's tables stay in place while they still hold exactly the rows
    the snapshot put there: inserting the lessons again fed each body through the search
    index's to_tsvector, most of a restore's time, and few tests change a lesson. A table's
    mark is its row count and the sum of its rows' xmin (the transaction that wrote each row):
    any insert, update or delete since raises the sum or changes the count, as later
    transactions have larger ids. The marks are compared under the lock, and the tables are
    kept together or not at all (they refer to each other). They refer to no table outside
    themselves, so emptying the others never touches them."""

    KEPT_IF_UNCHANGED = ("lesson_modules", "module_translations", "lessons", "lesson_translations", "lesson_questions")

    def __init__(self, database_url):
        self.url = sa.make_url(database_url)
        self.rows = {
            t.name: [dict(r._mapping) for r in db.session.execute(t.select().order_by(*t.primary_key))]
            for t in db.metadata.sorted_tables
        }
        self.copy = None
        self.marks = {}
        if self.url.get_backend_name() == "sqlite":
            self.copy = sqlite3.connect(":memory:", check_same_thread=False)
            with closing(sqlite3.connect(self.url.database)) as live:
                live.backup(self.copy)
        else:
            self._check_kept_tables_are_closed()
            with db.engine.connect() as conn:
                self.marks = self._marks(conn)
        db.session.remove()

    def _check_kept_tables_are_closed(self):
        for name in self.KEPT_IF_UNCHANGED:
            outside = {fk.column.table.name for fk in db.metadata.tables[name].foreign_keys} - set(
                self.KEPT_IF_UNCHANGED
            )
            assert not outside, f"{name} refers to {outside}: emptying those would change it, keep it no longer"

    def _marks(self, conn):
        return {
            name: tuple(
                conn.exec_driver_sql(f'SELECT count(*), sum(xmin::text::bigint) FROM "{name}"').one()  # noqa: S608
            )  # table names from our own list
            for name in self.KEPT_IF_UNCHANGED
        }

    def _unchanged(self, conn):
        """All the curriculum's tables, or none: a changed module must be emptied, and its
        untouched lessons refer to it (keeping them made that DELETE fail)."""
        if self._marks(conn) == self.marks:
            return set(self.KEPT_IF_UNCHANGED)
        return set()

    def restore(self):
        db.session.remove()
        if self.copy is not None:
            db.engine.dispose()
            with closing(sqlite3.connect(self.url.database)) as live:
                self.copy.backup(live)
            return
        # whatever a previous test left behind goes, the snapshot's ids must be free
        kept = _empty_all_tables(self._unchanged)
        with db.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                if self.rows[table.name] and table.name not in kept:
                    conn.execute(table.insert(), self.rows[table.name])
            moved = ", ".join(
                f"setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), (SELECT max(id) FROM \"{t.name}\"))"  # noqa: S608
                for t in db.metadata.sorted_tables
                if "id" in t.c and isinstance(t.c.id.type, sa.Integer) and self.rows[t.name]
            )  # table names from our own metadata
            conn.exec_driver_sql(f"SELECT {moved}")
        if kept != set(self.KEPT_IF_UNCHANGED):
            with db.engine.connect() as conn:
                self.marks = self._marks(conn)  # the rows just written carry new marks


_DEMO_SNAPSHOTS: dict[str, DatabaseSnapshot] = {}


@pytest.fixture
def seeded(app, database_url):
    """The demo data of `flask seed-demo` (docs in README), as a dict of table → rows.

    Seeding takes seconds, so the first test on each database (each xdist worker has its own)
    seeds and snapshots every table; later tests get the snapshot back (the app fixture empties
    every table after each test)."""
    snapshot = _DEMO_SNAPSHOTS.get(database_url)
    if snapshot is None:
        from portal import demo

        _empty_all_tables()  # the previous test leaves its rows when it knows this one comes next
        demo.seed(DEMO_PASSWORD)
        db.session.commit()
        snapshot = _DEMO_SNAPSHOTS[database_url] = DatabaseSnapshot(database_url)
    else:
        snapshot.restore()
    return snapshot.rows


# --- realtime and signals, for tests outside tests/rooms too ----------------------------------


@pytest.fixture
def chat(app):
    """Socket.IO test clients on /chat (tests.rooms.conftest.Chat), on clean presence and rate limits."""
    from portal.rooms import presence, ratelimit
    from tests.rooms.conftest import Chat, _forget_socket_clients

    presence.store().clear()
    ratelimit.reset()
    helper = Chat(app)
    yield helper
    helper.close()
    presence.store().clear()
    _forget_socket_clients(app)


@pytest.fixture
def ended(app):
    """Every consent_ended signal sent during the test."""
    from portal.care import access

    calls = []

    def listener(sender, **kwargs):
        calls.append(kwargs)

    with access.consent_ended.connected_to(listener):
        yield calls


# --- the people and records most tests start from: one meaning for each name, suite-wide -------
# (`client` is the Flask test client; a care Client is `sam`.)


@pytest.fixture
def counselor(app):
    """A counselor (not signed in), Casey, who runs `program`."""
    return make_user(email="casey@example.org", roles=(Role.COUNSELOR,), display_name="Casey")


@pytest.fixture
def admin(app):
    """An admin (not signed in), Avery."""
    return make_user(email="avery@example.org", roles=(Role.ADMIN,), display_name="Avery")


@pytest.fixture
def program(counselor):
    """The "Evening IOP" program, run by `counselor`."""
    return make_program(name="Evening IOP", counselors=[counselor])


@pytest.fixture
def sam(program, counselor):
    """Sam Rivera, a client enrolled in `program`, with `counselor` as primary counselor."""
    return make_client(program=program, full_name="Sam Rivera", counselor=counselor)


@pytest.fixture
def family(app):
    """A family member (not signed in, linked to no one), Jordan."""
    return make_user(email="jordan@example.org", display_name="Jordan")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real login form, CSRF token included."""

    def __init__(self, client):
        self._client = client

    def csrf(self, path="/auth/login"):
        token = self.token_in(self._client.get(path, follow_redirects=True))
        assert token, f"no csrf meta tag on {path}"
        return token

    @staticmethod
    def token_in(response):
        """The CSRF token of a page already fetched (None when it has none: a redirect, a file)."""
        match = CSRF_META.search(response.get_data(as_text=True))
        return match and match.group(1)

    def login(self, email, password=PASSWORD, follow_redirects=False):
        token = self.csrf("/auth/login")
        return self._client.post(
            "/auth/login",
            data={"email": email, "password": password, "csrf_token": token},
            follow_redirects=follow_redirects,
        )

    def logout(self):
        return self._client.post("/auth/logout", data={"csrf_token": self.csrf("/")})

    def post(self, path, data=None, page=None, **kwargs):
        """POST a form with a fresh CSRF token taken from `page` (default: the same path)."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf(page or "/"))
        return self._client.post(path, data=data, **kwargs)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def outbox(app):
    """The .eml files the portal wrote in development mode, newest last. Reading it first runs a
    delivery of the mail queue, as a server process does in the background within seconds."""

    def read():
        from email import message_from_bytes, policy

        from portal.mail import deliver_due

        deliver_due()
        folder = Path(app.config["MAIL_OUTBOX"])
        if not folder.exists():
            return []
        files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]

    return read
