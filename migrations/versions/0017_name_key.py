"""users.name_key: each display name folded for comparison, so "is this name taken?" is one
indexed lookup instead of folding every account's name on each sign-up

Revision ID: 0017_name_key
Revises: 0015_welcome
Create Date: 2026-11-30 23:30:00

Added in place (ALTER TABLE … ADD COLUMN), never by batch copy: on SQLite a batch copy drops the
`users` table, and with foreign keys that cascades. Existing names are folded with the portal's
own rule (portal.auth.names.name_key), the one new names are stored with.
"""
import sqlalchemy as sa
from alembic import op

from portal.auth.names import name_key

# revision identifiers, used by Alembic.
revision = '0017_name_key'
down_revision = '0015_welcome'
branch_labels = None
depends_on = None

USERS = sa.table('users', sa.column('id', sa.Integer), sa.column('display_name', sa.String),
                 sa.column('name_key', sa.String))


def upgrade():
    op.add_column('users', sa.Column('name_key', sa.String(length=200), nullable=True))
    op.create_index('ix_users_name_key', 'users', ['name_key'])
    conn = op.get_bind()
    rows = conn.execute(sa.select(USERS.c.id, USERS.c.display_name)).all()
    for user_id, display_name in rows:
        conn.execute(
            USERS.update().where(USERS.c.id == user_id).values(name_key=name_key(display_name) or None)
        )


def downgrade():
    op.drop_index('ix_users_name_key', table_name='users')
    op.drop_column('users', 'name_key')
