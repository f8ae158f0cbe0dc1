"""the outgoing-mail queue

Revision ID: 0004
Revises: 0006 (re-chained after main's chain 0003, 0008, 0007, 0005, 0006 when merging main; written on 0003)
Create Date: 2026-11-30 16:20:00

A new table, mail_queue: every outgoing message waits here until a delivery run (each server
process in the background, or `flask mail send`) sends it, with retries (portal/mail). No
existing table changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_queue_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_queue'))
    )
    op.create_index('ix_mail_queue_due', 'mail_queue', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_mail_queue_created_at'), 'mail_queue', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_mail_queue_created_at'), table_name='mail_queue')
    op.drop_index('ix_mail_queue_due', table_name='mail_queue')
    op.drop_table('mail_queue')
