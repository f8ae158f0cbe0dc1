"""rooms safety: appeals against bans, mutes and suspensions

Revision ID: 0013_rooms_safety
Revises: 0011 (the lead re-chains at merge)
Create Date: 2026-11-30 19:40:00

Adds room_appeals: one appeal per sanction (kind + sanction id unique), with the person's
reason and the moderator's decision. New tables only; nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_rooms_safety'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'room_appeals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('sanction_id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=12), nullable=True),
        sa.Column('response', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'sanction_id'),
    )
    op.create_index(op.f('ix_room_appeals_user_id'), 'room_appeals', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_room_appeals_user_id'), table_name='room_appeals')
    op.drop_table('room_appeals')
