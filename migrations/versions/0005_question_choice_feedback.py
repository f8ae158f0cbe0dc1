"""knowledge checks: an explanation per answer choice

Revision ID: 0005
Revises: 0007 (first written on 0003; re-chained when merged)
Create Date: 2026-11-30 15:50:00

Adds lesson_questions.feedback, a JSON list of strings in the order of `choices`: the text a
learner sees after picking that choice (why it is right, or why the tempting answer is wrong).
NULL for questions written before per-choice feedback; they keep showing `explanation`.

The column is added and dropped in place (ALTER TABLE … ADD/DROP COLUMN), never by batch copy.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("lesson_questions", sa.Column("feedback", sa.JSON(), nullable=True))


def downgrade():
    op.drop_column("lesson_questions", "feedback")
