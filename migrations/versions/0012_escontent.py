"""translations of the curriculum; consents.language

Revision ID: 0012_escontent
Revises: 0014_notify (written on 0011; re-chained after the head of main at each merge: 0012_practice, 0012_i18n, 0014_notify)
Create Date: 2026-11-30 19:20:00

Adds module_translations and lesson_translations (one row per module or lesson and locale, with
`translation_of`, the fingerprint of the English source it translates; questions as a JSON list
matched by position), the SQLite FTS5 index over translated lessons (accent-folding tokenizer),
and consents.language (the language of the signed text; existing consents are "en").

consents.language is added and dropped in place (ALTER TABLE … ADD/DROP COLUMN), never by batch
copy.
"""

import sqlalchemy as sa
from alembic import op

SQLITE_TRANSLATION_FTS_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS lessons_fts_translations USING fts5("
    "title, summary, body_text, content='lesson_translations', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS lessons_fts_translations_ai AFTER INSERT ON lesson_translations BEGIN "
    "INSERT INTO lessons_fts_translations(rowid, title, summary, body_text) "
    "VALUES (new.id, new.title, new.summary, new.body_text); END",
    "CREATE TRIGGER IF NOT EXISTS lessons_fts_translations_ad AFTER DELETE ON lesson_translations BEGIN "
    "INSERT INTO lessons_fts_translations(lessons_fts_translations, rowid, title, summary, body_text) "
    "VALUES ('delete', old.id, old.title, old.summary, old.body_text); END",
    "CREATE TRIGGER IF NOT EXISTS lessons_fts_translations_au AFTER UPDATE ON lesson_translations BEGIN "
    "INSERT INTO lessons_fts_translations(lessons_fts_translations, rowid, title, summary, body_text) "
    "VALUES ('delete', old.id, old.title, old.summary, old.body_text); "
    "INSERT INTO lessons_fts_translations(rowid, title, summary, body_text) "
    "VALUES (new.id, new.title, new.summary, new.body_text); END",
]

# revision identifiers, used by Alembic.
revision = "0012_escontent"
down_revision = "0014_notify"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "module_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("intro_md", sa.Text(), nullable=False),
        sa.Column("intro_html", sa.Text(), nullable=False),
        sa.Column("translation_of", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["module_id"], ["lesson_modules.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("module_id", "locale"),
    )
    op.create_index("ix_module_translations_module_id", "module_translations", ["module_id"])
    op.create_table(
        "lesson_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("reflection_prompt", sa.String(length=500), nullable=False),
        sa.Column("body_md", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("translation_of", sa.String(length=64), nullable=False),
        sa.Column("practice_text", sa.String(length=500), nullable=False),
        sa.Column("practice_of", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lesson_id"], ["lessons.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lesson_id", "locale"),
    )
    op.create_index("ix_lesson_translations_lesson_id", "lesson_translations", ["lesson_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRANSLATION_FTS_DDL:
            op.execute(statement)
    op.add_column("consents", sa.Column("language", sa.String(length=10), server_default="en", nullable=False))


def downgrade():
    op.drop_column("consents", "language")
    if op.get_bind().dialect.name == "sqlite":
        for name in ("lessons_fts_translations_ai", "lessons_fts_translations_ad", "lessons_fts_translations_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS lessons_fts_translations")
    op.drop_index("ix_lesson_translations_lesson_id", table_name="lesson_translations")
    op.drop_table("lesson_translations")
    op.drop_index("ix_module_translations_module_id", table_name="module_translations")
    op.drop_table("module_translations")
