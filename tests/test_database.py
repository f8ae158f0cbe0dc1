"""PostgreSQL's pooled connections: handed out without a ping round trip, and never one that the
server ended while it sat in the pool (a restart must not show an error page afterwards); reads
outside a transaction (no BEGIN, no ROLLBACK), writes and locks inside one."""

import tempfile
import time

import psycopg
import pytest
import sqlalchemy as sa

from portal.auth.models import User
from portal.database import reads_only
from portal.extensions import db
from tests.factories import PASSWORD

# The server processes of the test's database but the one asking.
OTHERS = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    return db.engine


def _end_every_pooled_connection(engine):
    """What a restart does to the pool: every server process of this database ends. Returns how
    many there were, once none is left."""
    db.session.remove()  # the test's session gives its connection back to the pool
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(f"SELECT count(pg_terminate_backend(pid)) {OTHERS}")
        count = ended.fetchone()[0]
        deadline = time.monotonic() + 30
        while admin.execute(f"SELECT count(*) {OTHERS}").fetchone()[0]:
            assert time.monotonic() < deadline, "the server processes did not end"
            time.sleep(0.05)
    return count


def test_a_pooled_connection_is_handed_out_without_a_ping(postgresql, client, monkeypatch):
    def ping(*_args, **_kwargs):
        raise AssertionError("a pre-ping round trip")

    monkeypatch.setattr(type(postgresql.dialect), "do_ping", ping)
    assert client.get("/healthz").status_code == 200
    db.session.remove()
    assert client.get("/healthz").status_code == 200


def test_connections_the_server_ended_in_the_pool_are_replaced_not_an_error(postgresql, client):
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert _end_every_pooled_connection(postgresql) >= 1
    for _ in range(3):
        response = client.get("/healthz")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.get_json()["database"] == "ok"
        db.session.remove()


# --- reads outside a transaction, writes inside one ----------------------------------------------


def _sent(engine, work):
    """The protocol messages the client sent while `work` ran, from libpq's trace of the pooled
    connection(s): e.g. ['Query "BEGIN"', 'Parse "" "SELECT …"', …]."""
    db.session.remove()
    with tempfile.TemporaryFile("w+") as trace:
        traced = []

        def on_checkout(dbapi_connection, _record, _proxy):
            dbapi_connection.pgconn.trace(trace.fileno())
            traced.append(dbapi_connection)

        sa.event.listen(engine, "checkout", on_checkout)
        try:
            work()
            db.session.remove()
        finally:
            sa.event.remove(engine, "checkout", on_checkout)
            for dbapi_connection in traced:
                dbapi_connection.pgconn.untrace()
        trace.seek(0)
        lines = [line.split("\t") for line in trace.read().splitlines()]
    return [" ".join(parts[3:5]) for parts in lines if len(parts) > 4 and parts[1] == "F"]


def _sql(sent, word):
    return [message for message in sent if message.startswith(("Query", "Parse")) and word in message]


def test_a_page_that_only_reads_sends_no_begin_or_rollback(postgresql, client, auth, family):
    auth.login(family.email, PASSWORD)
    assert client.get("/dashboard").status_code == 200
    sent = _sent(postgresql, lambda: client.get("/dashboard"))
    assert _sql(sent, "SELECT") and not _sql(sent, "BEGIN") and not _sql(sent, "ROLLBACK"), sent


def test_a_write_still_begins_a_transaction_that_a_rollback_undoes(postgresql, family):
    user_id = family.id

    def work():
        db.session.scalar(sa.select(User.id).where(User.id == user_id))  # a read first, on its own
        db.session.execute(sa.update(User).where(User.id == user_id).values(display_name="Changed"))
        db.session.execute(sa.update(User).where(User.id == user_id).values(locale="es"))
        db.session.rollback()

    sent = _sent(postgresql, work)
    assert _sql(sent, "BEGIN") and _sql(sent, "ROLLBACK"), sent
    assert sent.index(_sql(sent, "BEGIN")[0]) < sent.index(_sql(sent, "UPDATE")[0])
    assert db.session.get(User, user_id).display_name != "Changed"


def test_a_locking_read_holds_its_lock_until_the_commit(postgresql, family):
    locked = db.session.scalars(sa.select(User).where(User.id == family.id).with_for_update()).one()
    assert db.session.connection().connection.dbapi_connection.info.transaction_status.name == "INTRANS"
    url = postgresql.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("UPDATE users SET display_name = 'Other' WHERE id = %s", (locked.id,))
    db.session.commit()


def test_reads_only_tells_reads_from_writes_and_locks():
    assert reads_only("SELECT 1") and reads_only("  select a FROM t WHERE b = 1")
    for statement in (
        "SELECT a FROM t FOR UPDATE",
        "SELECT a FROM t FOR NO KEY UPDATE OF t",
        "select a from t for share",
        "SELECT a FROM t FOR KEY SHARE",
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET a = 1",
        "DELETE FROM t",
        "WITH x AS (DELETE FROM t RETURNING a) SELECT a FROM x",
        "SAVEPOINT sa_savepoint_1",
        "SET TIME ZONE 'UTC'",
    ):
        assert not reads_only(statement), statement


def test_while_a_password_hash_runs_the_request_holds_no_pooled_connection(postgresql, family, monkeypatch):
    """A burst of sign-ins queued for argon2 each held a pooled connection, and with the pool
    empty every other request of the process waited (the mixed-load benchmark's 503s)."""
    from portal.auth import passwords

    held = []

    def hashing(*args):
        held.append(postgresql.pool.checkedout())
        return True

    monkeypatch.setattr(passwords, "_on_gevent", lambda: True)
    monkeypatch.setattr(passwords, "_verify", hashing)
    email = family.email
    db.session.remove()
    user = db.session.scalar(sa.select(User).filter_by(email=email))  # a read: a connection taken
    assert postgresql.pool.checkedout() == 1
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert held == [0]
    assert user.email == email  # still loaded, nothing read again

    user.display_name = "Not yet saved"  # a change waiting to be written is never committed by it
    passwords.verify_password(user.password_hash, PASSWORD)
    assert held == [0, 0] and user in db.session.dirty
    db.session.execute(sa.select(sa.literal(1)).execution_options(autoflush=False))  # a connection again
    passwords.verify_password(user.password_hash, PASSWORD)  # kept: the change waits to be written
    db.session.flush()  # a transaction with a write in it keeps its connection too
    passwords.verify_password(user.password_hash, PASSWORD)
    assert held == [0, 0, 1, 1]
    db.session.rollback()
    assert db.session.scalar(sa.select(User.display_name).filter_by(email=email)) != "Not yet saved"
