"""lesson_assignments (a counselor's assigned lessons, modules, worksheets); users.welcomed_at;
session_series.split_from_id (the chain "change this and following" makes)

Revision ID: 0015_welcome
Revises: 0016_rooms_convo
Create Date: 2026-11-30 19:45:00

users.welcomed_at is added in place (ALTER TABLE … ADD/DROP COLUMN), never by batch copy: on
SQLite a batch copy drops the `users` table, and with foreign keys that cascades.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_welcome'
down_revision = '0016_rooms_convo'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lesson_assignments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('assigned_by_id', sa.Integer(), nullable=True),
        sa.Column('target', sa.String(length=90), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_lesson_assignments_client_id', 'lesson_assignments', ['client_id'])
    op.create_index('ix_lesson_assignments_user_id', 'lesson_assignments', ['user_id'])
    op.add_column('users', sa.Column('welcomed_at', sa.DateTime(), nullable=True))
    op.add_column('session_series', sa.Column('split_from_id', sa.Integer(), nullable=True))
    op.create_index('ix_session_series_split_from_id', 'session_series', ['split_from_id'])


def downgrade():
    op.drop_index('ix_session_series_split_from_id', table_name='session_series')
    op.drop_column('session_series', 'split_from_id')
    op.drop_column('users', 'welcomed_at')
    op.drop_index('ix_lesson_assignments_user_id', table_name='lesson_assignments')
    op.drop_index('ix_lesson_assignments_client_id', table_name='lesson_assignments')
    op.drop_table('lesson_assignments')
