"""Engine settings per backend (SQLite WAL and foreign keys; PostgreSQL pool and its liveness check)."""

import re
import select

from psycopg.pq import TransactionStatus
from sqlalchemy import event, exc

from portal.extensions import db

# Whatever a server says to an idle connection, or the end of the connection, makes its socket
# readable; POLLHUP, POLLERR and POLLNVAL are reported whatever was asked.
_SPOKE = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR | select.POLLNVAL


def _original_poll():
    """The operating system's poll, even under gevent's monkey-patching: a zero-timeout poll never
    blocks, and gevent's version would switch to the event loop for nothing."""
    try:
        from gevent.monkey import get_original
    except ImportError:  # pragma: no cover - gevent is a dependency
        return select.poll
    return get_original("select", "poll")


_poll = _original_poll()
_IDLE = TransactionStatus.IDLE


def postgresql_options(options):
    """Engine options for PostgreSQL: no pool pre-ping, which paid a round trip on every checkout
    (every request and socket event). `configure` installs the socket check instead."""
    return {key: value for key, value in options.items() if key != "pool_pre_ping"}


def configure(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        engine = db.engine
    if uri.startswith("postgresql"):
        if not event.contains(engine, "checkout", refuse_closed_connection):  # an engine is set up once
            event.listen(engine, "checkout", refuse_closed_connection)
            event.listen(engine, "before_cursor_execute", begin_only_for_writes)
        return
    if not uri.startswith("sqlite"):
        return
    if not event.contains(engine, "connect", _sqlite_pragmas):
        event.listen(engine, "connect", _sqlite_pragmas)


def refuse_closed_connection(dbapi_connection, _connection_record, _proxy):
    """Hand out a pooled PostgreSQL connection only if the server has said nothing on it since it
    went back to the pool, checked without a round trip.

    An idle connection in the middle of no query hears nothing from the server, so a readable
    socket means the server ended it (a restart, an administrator, an idle timeout: a FATAL
    message, then the end of the stream) or something else that is no use to a new request. Such
    a connection is thrown away with the pool's connections made before it, exactly what
    `pool_pre_ping` did after a failed ping, and the pool makes a fresh one for this checkout, so a
    restart of the database never shows an error page on the first requests after it. A server that
    vanishes without closing its end (a dropped network) is caught by neither check in time: the
    statement then fails or waits like the ping would have, and the page is the outage's 503."""
    if _server_spoke(dbapi_connection):
        raise exc.InvalidatePoolError("the server closed or wrote to an idle pooled connection")


def _server_spoke(dbapi_connection):
    try:
        fd = dbapi_connection.fileno()
    except Exception:  # noqa: BLE001 - psycopg raises once the connection is closed on our side
        return True
    poller = _poll()
    poller.register(fd, _SPOKE)
    return bool(poller.poll(0))


# A statement that only reads: a SELECT that takes no row lock. Anything else (INSERT, UPDATE,
# DELETE, SAVEPOINT, DDL, SET, WITH …, a SELECT … FOR UPDATE/SHARE) is run inside a transaction.
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b", re.IGNORECASE)


def reads_only(statement):
    return statement.lstrip()[:6].upper() == "SELECT" and not _LOCKING.search(statement)


def begin_only_for_writes(conn, _cursor, statement, _parameters, _context, _executemany):
    """Outside a transaction, run a statement that only reads on its own (PostgreSQL autocommit),
    and begin the transaction at the first statement that writes or locks.

    psycopg otherwise sends BEGIN before the first statement of every request and socket event
    and the pool sends ROLLBACK after the last one: two round trips for a request that only
    reads, which is most of them. At PostgreSQL's READ COMMITTED, every statement already sees
    the rows committed before it started, inside a transaction or not, so a read alone answers
    exactly what it answered inside one; what a transaction adds — a write's atomicity with the
    statements after it, the row locks of SELECT … FOR UPDATE, a SAVEPOINT — begins with the
    first statement that needs it and lasts until the commit or rollback, as before. A
    connection given an isolation level of its own (`execution_options(isolation_level=…)`)
    is left as it was set."""
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection.info.transaction_status != _IDLE:
        return  # a transaction is open: this statement belongs to it
    if "isolation_level" in conn.get_execution_options():
        return
    dbapi_connection.autocommit = reads_only(statement)


def hand_back_idle_connection(session):
    """Give the session's pooled PostgreSQL connection back to the pool when it holds nothing:
    no transaction open on the server and no change waiting to be written. For a wait that uses
    no database (argon2's hashing, portal/auth/passwords.py): a burst of sign-ins otherwise held
    a connection each while they queued for the hash, and with the pool empty every other
    request of the process waited too. The session's objects stay as loaded; the next statement
    takes a connection again."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    if connection.connection.dbapi_connection.info.transaction_status != _IDLE:
        return
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()  # nothing to commit: the connection goes back to the pool
    finally:
        session.expire_on_commit = keep


def _sqlite_pragmas(dbapi_connection, _connection_record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a database file, not in memory
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
