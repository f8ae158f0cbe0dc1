"""a series may show its address in calendar feeds and reminder emails (counselor's opt-in)

Revision ID: 0007
Revises: 0008
Create Date: 2026-11-30 16:00:00

Adds session_series.address_in_feeds (false for every existing series: feeds and reminders
carry only neutral text, the time and a portal link unless a counselor opts a series in).

The column is added and dropped in place (ALTER TABLE … ADD/DROP COLUMN), never by batch copy.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'session_series',
        sa.Column('address_in_feeds', sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    op.drop_column('session_series', 'address_in_feeds')
