"""rooms safety: appeals, on-call lists, crisis alerts

Revision ID: 0013_rooms_safety
Revises: 0012_i18n (re-chained after main's 0012_practice and 0012_i18n when merging main; written on 0011)
Create Date: 2026-11-30 19:40:00

Adds room_appeals (one appeal per sanction: kind + sanction id unique, with the person's reason
and the moderator's decision), room_on_call (staff on call per program; NULL program: the
public rooms), room_crisis_alerts (one per held crisis post: escalation step, handled) and
room_checkins / room_checkin_posts (private check-in threads that staff start with a member).
New tables only; nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_rooms_safety'
down_revision = '0012_i18n'
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
    op.create_table(
        'room_on_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('backup', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('program_id', 'user_id'),
    )
    op.create_index(op.f('ix_room_on_call_program_id'), 'room_on_call', ['program_id'], unique=False)
    op.create_table(
        'room_crisis_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('escalations', sa.Integer(), nullable=False),
        sa.Column('last_alert_at', sa.DateTime(), nullable=False),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['message_id'], ['room_messages.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['handled_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
    )
    op.create_index(op.f('ix_room_crisis_alerts_handled_at'), 'room_crisis_alerts', ['handled_at'], unique=False)
    op.create_table(
        'room_checkins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['started_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['message_id'], ['room_messages.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_room_checkins_member_id'), 'room_checkins', ['member_id'], unique=False)
    op.create_table(
        'room_checkin_posts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('checkin_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['checkin_id'], ['room_checkins.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_room_checkin_posts_checkin_id'), 'room_checkin_posts', ['checkin_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_room_checkin_posts_checkin_id'), table_name='room_checkin_posts')
    op.drop_table('room_checkin_posts')
    op.drop_index(op.f('ix_room_checkins_member_id'), table_name='room_checkins')
    op.drop_table('room_checkins')
    op.drop_index(op.f('ix_room_crisis_alerts_handled_at'), table_name='room_crisis_alerts')
    op.drop_table('room_crisis_alerts')
    op.drop_index(op.f('ix_room_on_call_program_id'), table_name='room_on_call')
    op.drop_table('room_on_call')
    op.drop_index(op.f('ix_room_appeals_user_id'), table_name='room_appeals')
    op.drop_table('room_appeals')
