"""notifications: the notice centre, preferences per topic, reminder lead time; mail_queue.headers

Revision ID: 0014_notify
Revises: 0013_rooms_safety (re-chained after main's 0012_practice → 0012_i18n → 0013_rooms_safety when merging main; written on 0011)
Create Date: 2026-11-30 19:40:00

New tables `notifications`, `notification_preferences`, `notification_settings`, and the nullable
column mail_queue.headers (extra headers such as List-Unsubscribe) and users.notifications_unread
(the bell's count, default 0), both added in place (ALTER TABLE … ADD/DROP COLUMN), never by batch
copy: on SQLite a batch copy of `users` would cascade to every row that refers to a user.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_notify'
down_revision = '0013_rooms_safety'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=True),
        sa.Column('program_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.Column('digest_pending', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('emailed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_notifications_user_id', 'notifications', ['user_id'])
    op.create_index('ix_notifications_created_at', 'notifications', ['created_at'])
    op.create_index('ix_notifications_user_unread', 'notifications', ['user_id', 'read_at'])
    op.create_table(
        'notification_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=30), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'topic'),
    )
    op.create_table(
        'notification_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('reminder_lead', sa.String(length=10), nullable=False),
        sa.Column('last_digest_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.add_column('mail_queue', sa.Column('headers', sa.JSON(), nullable=True))
    op.add_column('users', sa.Column('notifications_unread', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('users', 'notifications_unread')
    op.drop_column('mail_queue', 'headers')
    op.drop_table('notification_settings')
    op.drop_table('notification_preferences')
    op.drop_index('ix_notifications_user_unread', table_name='notifications')
    op.drop_index('ix_notifications_created_at', table_name='notifications')
    op.drop_index('ix_notifications_user_id', table_name='notifications')
    op.drop_table('notifications')
