"""rooms.language: the language a peer room is held in

Revision ID: 0012_i18n
Revises: 0012_practice (re-chained after main's 0012_practice when merging main)
Create Date: 2026-11-30 19:20:00

Adds rooms.language (a code of LANGUAGES, "en" or "es"; existing rooms get "en"). A room's name,
description and messages are marked with it (`lang`) wherever they are shown, so a Spanish room
listed on an English page is read by screen readers in Spanish.

Added and dropped in place (ALTER TABLE … ADD/DROP COLUMN), never by batch copy: on SQLite a batch
copy drops the table, and with foreign keys on that drop cascades to the room's messages.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_i18n'
down_revision = '0012_practice'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('rooms', sa.Column('language', sa.String(length=10), nullable=False, server_default='en'))


def downgrade():
    op.drop_column('rooms', 'language')
