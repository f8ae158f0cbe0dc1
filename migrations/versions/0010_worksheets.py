"""worksheets: a family member's private answers to the practice worksheets

Revision ID: 0010
Revises: 0004
Create Date: 2026-11-30 17:15:00

A new table, worksheet_entries: one row per person and worksheet (the worksheets themselves are
data in portal/lessons/worksheets.py), answers as JSON. No existing table changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('worksheet_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_worksheet_entries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worksheet_entries')),
    sa.UniqueConstraint('user_id', 'slug', name=op.f('uq_worksheet_entries_user_id'))
    )
    op.create_index(op.f('ix_worksheet_entries_user_id'), 'worksheet_entries', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_worksheet_entries_user_id'), table_name='worksheet_entries')
    op.drop_table('worksheet_entries')
