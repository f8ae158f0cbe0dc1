"""Build the schema of an EMPTY database named by DATABASE_URL (production config).

    python -m bench.schema build

Runs the migrations (what `flask db upgrade` does on deploy). If the migrations do not yet
create every table the models declare, drops what they made and uses create_all instead, so
server tests can run while the integrator is still generating migrations. Prints the method
used as the last line: "migrations" or "create_all (migrations incomplete: …)".
"""

import sys

import sqlalchemy as sa


def build():
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        try:
            upgrade()
            missing = sorted(set(db.metadata.tables) - set(sa.inspect(db.engine).get_table_names()))
            problem = f"missing tables: {', '.join(missing)}" if missing else None
        except Exception as exc:  # noqa: BLE001 - reported, then the fallback runs
            problem = f"upgrade failed: {type(exc).__name__}: {exc}".splitlines()[0]
        if problem is None:
            print("migrations")
            return
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            else:
                db.metadata.drop_all(conn)
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        print(f"create_all (migrations incomplete: {problem})")


if __name__ == "__main__":
    if sys.argv[1:] != ["build"]:
        sys.exit("usage: python -m bench.schema build")
    build()
