"""practice: a lesson's "Try this week" and family members' commitments to it

Revision ID: 0012_practice
Revises: 0011
Create Date: 2026-11-30 19:10:00

Adds lessons.practice_text and lessons.practice_followup (empty by default: a lesson loaded
before this revision has no practice until `flask curriculum load` runs) and the new table
practice_commitments, with a partial unique index that allows one open commitment (outcome
NULL) per person and lesson.

The columns are added and dropped in place (ALTER TABLE … ADD/DROP COLUMN), never by batch copy:
on SQLite a batch copy drops the `lessons` table, and with foreign keys on that drop cascades to
every row that refers to a lesson.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_practice'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('lessons', sa.Column('practice_text', sa.String(length=500), server_default='', nullable=False))
    op.add_column('lessons', sa.Column('practice_followup', sa.String(length=80), server_default='', nullable=False))
    op.create_table('practice_commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('outcome_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('note_html', sa.Text(), nullable=True),
    sa.Column('note_shared', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_practice_commitments_lesson_id_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_commitments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_commitments'))
    )
    op.create_index(op.f('ix_practice_commitments_lesson_id'), 'practice_commitments', ['lesson_id'], unique=False)
    op.create_index(op.f('ix_practice_commitments_user_id'), 'practice_commitments', ['user_id'], unique=False)
    op.create_index(
        'uq_practice_commitments_open', 'practice_commitments', ['user_id', 'lesson_id'], unique=True,
        sqlite_where=sa.text('outcome IS NULL'), postgresql_where=sa.text('outcome IS NULL'),
    )


def downgrade():
    op.drop_index('uq_practice_commitments_open', table_name='practice_commitments')
    op.drop_index(op.f('ix_practice_commitments_user_id'), table_name='practice_commitments')
    op.drop_index(op.f('ix_practice_commitments_lesson_id'), table_name='practice_commitments')
    op.drop_table('practice_commitments')
    op.drop_column('lessons', 'practice_followup')
    op.drop_column('lessons', 'practice_text')
