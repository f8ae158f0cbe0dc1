"""rooms conversation: replies, support reactions, mentions and pins (issue 12)

Revision ID: 0016_rooms_convo
Revises: 0012_escontent
Create Date: 2026-11-30 19:45:00

Four new tables (room_replies, room_reactions, room_mentions, room_pins); no existing table
changes, so the Message of the /chat contract and its row stay as they were.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_rooms_convo'
down_revision = '0012_escontent'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('room_replies',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('reply_to_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['room_messages.id'], name=op.f('fk_room_replies_message_id_room_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reply_to_id'], ['room_messages.id'], name=op.f('fk_room_replies_reply_to_id_room_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_room_replies'))
    )
    op.create_index(op.f('ix_room_replies_reply_to_id'), 'room_replies', ['reply_to_id'], unique=False)
    op.create_table('room_reactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['room_messages.id'], name=op.f('fk_room_reactions_message_id_room_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_room_reactions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_reactions')),
    sa.UniqueConstraint('message_id', 'user_id', 'kind', name=op.f('uq_room_reactions_message_id'))
    )
    op.create_index(op.f('ix_room_reactions_message_id'), 'room_reactions', ['message_id'], unique=False)
    op.create_index(op.f('ix_room_reactions_user_id'), 'room_reactions', ['user_id'], unique=False)
    op.create_table('room_mentions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['room_messages.id'], name=op.f('fk_room_mentions_message_id_room_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_room_mentions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_mentions')),
    sa.UniqueConstraint('message_id', 'user_id', name=op.f('uq_room_mentions_message_id'))
    )
    op.create_index(op.f('ix_room_mentions_message_id'), 'room_mentions', ['message_id'], unique=False)
    op.create_index(op.f('ix_room_mentions_user_id'), 'room_mentions', ['user_id'], unique=False)
    op.create_table('room_pins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('pinned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['room_messages.id'], name=op.f('fk_room_pins_message_id_room_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pinned_by_id'], ['users.id'], name=op.f('fk_room_pins_pinned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_room_pins_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_pins')),
    sa.UniqueConstraint('message_id', name=op.f('uq_room_pins_message_id'))
    )
    op.create_index(op.f('ix_room_pins_room_id'), 'room_pins', ['room_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_room_pins_room_id'), table_name='room_pins')
    op.drop_table('room_pins')
    op.drop_index(op.f('ix_room_mentions_user_id'), table_name='room_mentions')
    op.drop_index(op.f('ix_room_mentions_message_id'), table_name='room_mentions')
    op.drop_table('room_mentions')
    op.drop_index(op.f('ix_room_reactions_user_id'), table_name='room_reactions')
    op.drop_index(op.f('ix_room_reactions_message_id'), table_name='room_reactions')
    op.drop_table('room_reactions')
    op.drop_index(op.f('ix_room_replies_reply_to_id'), table_name='room_replies')
    op.drop_table('room_replies')
