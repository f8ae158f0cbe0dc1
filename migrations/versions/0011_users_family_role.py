"""users.family_role: the family role that picks a recommended lesson path

Revision ID: 0011
Revises: 0010 (re-chained after main's 0010 worksheets when merging main; written on 0004)
Create Date: 2026-11-30 17:15:00

Adds the nullable column users.family_role (a key such as "parent_teen"; portal/lessons/tracks.py
lists them). Existing accounts keep NULL, which means "not chosen yet".

The column is added and dropped in place (ALTER TABLE … ADD/DROP COLUMN), never by batch copy:
on SQLite a batch copy drops the `users` table, and with foreign keys on that drop cascades to
every row that refers to a user.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('family_role', sa.String(length=30), nullable=True))


def downgrade():
    op.drop_column('users', 'family_role')
