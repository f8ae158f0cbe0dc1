"""The migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db


@pytest.fixture
def empty_database(tmp_path, database_url):
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    from tests.conftest import _postgres_database

    url, drop = _postgres_database(database_url, "migrations")
    yield url
    drop()


def test_upgrade_on_empty_database_matches_models(empty_database):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            differences = [d for d in compare_metadata(context, db.metadata) if not _ignorable(d)]
        db.engine.dispose()
    assert differences == []


def _ignorable(diff):
    """Search helper tables that the migration creates by hand are not in the models."""
    if isinstance(diff, tuple) and diff[0] == "remove_table":
        return diff[1].name.startswith(("lesson_search", "lesson_fts"))
    return False
