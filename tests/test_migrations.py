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


def _insert_user(connection, **columns):
    """One users row written with SQL, as the schema of the revision being tested has it."""
    import sqlalchemy as sa

    row = {
        "email": "casey@example.org",
        "password_hash": "x",
        "display_name": "Casey",
        "timezone": "UTC",
        "locale": "en",
        "active": True,
        "created_at": "2026-01-01 00:00:00",
        "established": False,
    } | columns
    names = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    connection.execute(sa.text(f"INSERT INTO users ({names}) VALUES ({values})"), row)  # noqa: S608


def _insert_user_program_and_client(connection):
    """A user, the program 7 and its client 3, written with SQL (columns every revision has)."""
    import sqlalchemy as sa

    _insert_user(connection)
    connection.execute(
        sa.text(
            "INSERT INTO programs (id, name, description, timezone, active, created_at) "
            "VALUES (7, 'Evening IOP', '', 'America/New_York', true, '2026-01-01 00:00:00')"
        )
    )
    connection.execute(
        sa.text(
            "INSERT INTO clients (id, program_id, full_name, enrollment_start, status, created_at) "
            "VALUES (3, 7, 'Sam Rivera', '2026-01-01', 'active', '2026-01-01 00:00:00')"
        )
    )


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
    """Lesson search (an FTS5 table on SQLite, an expression index on PostgreSQL) is created by
    hand in both the migration and the models' after_create hook, so autogenerate can't see it."""
    if isinstance(diff, tuple) and diff[0] == "remove_table":
        return diff[1].name.startswith("lessons_fts")
    if isinstance(diff, tuple) and diff[0] == "remove_index":
        return diff[1].name == "ix_lessons_search"
    return False


def test_downgrade_to_nothing_and_up_again(empty_database):
    from flask_migrate import downgrade

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        tables = set(db.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"users", "consents", "lessons", "room_messages", "session_series"} <= tables


def test_search_works_on_a_migrated_database(empty_database):
    """The migration creates lesson search like create_all does."""
    from portal.lessons import loader, search

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade()
        loader.load_curriculum()
        results = search.search_lessons("naloxone")
        db.engine.dispose()
    assert results


def test_0003_encrypts_existing_secrets_in_place_and_downgrades(empty_database):
    """Secrets written in plain text before 0003 are encrypted by it, still verify, and come
    back as they were on downgrade."""
    import pyotp
    import sqlalchemy as sa
    from flask_migrate import downgrade

    from portal.auth import mfa, secretbox
    from portal.auth.models import User

    secret = pyotp.random_base32()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as connection:
            _insert_user(connection, totp_secret=secret, totp_enabled_at="2026-01-01 00:00:00")
        upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(sa.text("SELECT * FROM users")).one()
        assert secret not in repr(tuple(row)) and row.totp_secret is None
        stored = row.totp_secret_encrypted
        assert secretbox.decrypt(stored) == (secret, True)
        user = db.session.scalar(sa.select(User))
        assert mfa.verify_second_factor(user, pyotp.TOTP(secret).now()) == "totp"
        db.session.rollback()
        db.session.remove()

        downgrade(revision="0002")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT totp_secret FROM users")).scalar() == secret
            inspector = sa.inspect(connection)
            columns = {c["name"] for t in ("users", "session_records") for c in inspector.get_columns(t)}
        assert not {"totp_secret_encrypted", "mfa_setup_secret_encrypted"} & columns
        db.engine.dispose()


def test_downgrading_0002_keeps_the_accounts_of_0001(empty_database):
    """0002's downgrade drops a users column; it must not take the users' roles with it
    (a batch copy of `users` did, on SQLite with foreign keys on)."""
    import sqlalchemy as sa
    from flask_migrate import downgrade

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as connection:
            _insert_user(connection)
            connection.execute(sa.text("INSERT INTO user_roles (user_id, role) SELECT id, 'counselor' FROM users"))
        downgrade(revision="0001")
        with db.engine.connect() as connection:
            roles = connection.execute(sa.text("SELECT role FROM user_roles")).scalars().all()
        db.engine.dispose()
    assert roles == ["counselor"]


def test_0008_gives_existing_consents_their_clients_program(empty_database):
    """Consents signed before 0008 name their client's program; after it they still allow access."""
    import sqlalchemy as sa
    from flask_migrate import downgrade

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as connection:
            _insert_user_program_and_client(connection)
            run = connection.execute
            run(
                sa.text(
                    "INSERT INTO consents (id, client_id, recipient_name, recipient_relationship, recipient_email, "
                    "includes_attendance, purpose, text_version, text_sha256, signature_name, signed_at, "
                    "witnessed_by_id) VALUES (5, 3, 'Jordan', 'parent', 'j@example.org', false, 'p', '1', "
                    "'0', 'Sam Rivera', '2026-01-02 00:00:00', (SELECT id FROM users))"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT program_id FROM consents WHERE id = 5")).scalar() == 7
        downgrade(revision="0003")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("consents")}
            assert connection.execute(sa.text("SELECT count(*) FROM consents")).scalar() == 1
        assert "program_id" not in columns
        db.engine.dispose()


def test_0011_adds_family_role_in_place_and_downgrades(empty_database):
    """0011 adds users.family_role without copying users: existing rows keep their data (NULL role)
    and the rows that refer to them survive; the downgrade drops only the column."""
    import sqlalchemy as sa
    from flask_migrate import downgrade

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as connection:
            _insert_user(connection)
            connection.execute(
                sa.text("INSERT INTO user_roles (user_id, role) VALUES ((SELECT id FROM users), 'family')")
            )
        upgrade(revision="0011")
        with db.engine.begin() as connection:
            assert connection.execute(sa.text("SELECT email, family_role FROM users")).one() == (
                "casey@example.org",
                None,
            )
            assert connection.execute(sa.text("SELECT count(*) FROM user_roles")).scalar() == 1
            connection.execute(sa.text("UPDATE users SET family_role = 'partner'"))
        downgrade(revision="0010")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("users")}
            assert connection.execute(sa.text("SELECT count(*) FROM user_roles")).scalar() == 1
            assert connection.execute(sa.text("SELECT email FROM users")).scalar() == "casey@example.org"
        assert "family_role" not in columns
        db.engine.dispose()


def test_0012_escontent_gives_existing_consents_english_and_keeps_their_hashes(empty_database):
    """Consents signed before there was a language choice are English, and their stored hash
    still verifies their text; the downgrade drops the column and the translation tables."""
    import hashlib

    import sqlalchemy as sa
    from flask_migrate import downgrade

    from portal.care import consent_text

    text = "CONSENT TO DISCLOSE INFORMATION (42 CFR Part 2)\nSigned.\n"
    digest = hashlib.sha256(text.encode()).hexdigest()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision="0014_notify")
        with db.engine.begin() as connection:
            _insert_user_program_and_client(connection)
            run = connection.execute
            run(
                sa.text(
                    "INSERT INTO consents (id, client_id, program_id, recipient_name, recipient_relationship, "
                    "recipient_email, includes_attendance, purpose, text_version, text_sha256, signature_name, "
                    "signed_at, witnessed_by_id, signed_text) VALUES (5, 3, 7, 'Jordan', 'parent', 'j@example.org', "
                    "false, 'p', '2026-11-v1', :digest, 'Sam Rivera', '2026-01-02 00:00:00', "
                    "(SELECT id FROM users), :text)"
                ),
                {"digest": digest, "text": text},
            )
        upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(sa.text("SELECT language, text_sha256, signed_text FROM consents")).one()
        assert row.language == "en" and row.text_sha256 == digest
        assert consent_text.document_sha256(row.signed_text, row.language) == row.text_sha256
        downgrade(revision="0014_notify")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("consents")}
            tables = set(sa.inspect(connection).get_table_names())
            assert connection.execute(sa.text("SELECT text_sha256 FROM consents")).scalar() == digest
        assert "language" not in columns
        assert not {"lesson_translations", "module_translations", "lessons_fts_translations"} & tables
        db.engine.dispose()


def test_spanish_search_works_on_a_migrated_database(empty_database, tmp_path):
    """The migration creates the translated-lesson search like create_all does."""
    from portal.lessons import loader, search
    from portal.lessons.content import read_curriculum
    from tests.lessons.test_translations import LESSON_EN, LESSON_ES, MODULE_EN, MODULE_ES, write

    root = tmp_path / "content"
    write(root / "01-basics" / "_module.md", MODULE_EN)
    write(root / "01-basics" / "relapse.md", LESSON_EN)
    (english,) = read_curriculum(root)
    write(root / "es" / "01-basics" / "_module.md", MODULE_ES.format(fingerprint=english.fingerprint))
    write(root / "es" / "01-basics" / "relapse.md", LESSON_ES.format(fingerprint=english.lessons[0].fingerprint))
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade()
        loader.load_curriculum(root)
        results = search.search_lessons("recaidas", "es")
        db.engine.dispose()
    assert [hit.slug for hit in results] == ["relapse-is-part"]


def test_0017_folds_existing_display_names_into_name_key(empty_database):
    """0017 stores every existing account's folded name, so the indexed "taken?" lookup also
    finds names chosen before it (a Cyrillic "о" and a zero fold to the same key)."""
    import sqlalchemy as sa
    from flask_migrate import downgrade

    from portal.auth.names import name_taken

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    with app.app_context():
        upgrade(revision="0015_welcome")
        with db.engine.begin() as connection:
            _insert_user(connection, display_name="Mоrgan Lee")  # Cyrillic о
            _insert_user(connection, email="li@example.org", display_name="李明")
        upgrade(revision="0017_name_key")
        with db.engine.connect() as connection:
            keys = dict(connection.execute(sa.text("SELECT email, name_key FROM users")).all())
        assert keys == {"casey@example.org": "morganlee", "li@example.org": None}
        with app.test_request_context():
            assert name_taken("M0RGAN  lee")
            assert not name_taken("Morgan Lee", owner_id=1)
            db.session.remove()
        downgrade(revision="0015_welcome")
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("users")}
        assert "name_key" not in columns
        db.engine.dispose()
