"""Engine settings per backend (SQLite WAL and foreign keys; PostgreSQL pool)."""

from sqlalchemy import event

from portal.extensions import db


def configure(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    if not event.contains(engine, "connect", _sqlite_pragmas):  # an engine is set up once
        event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _connection_record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a database file, not in memory
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
