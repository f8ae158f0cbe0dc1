"""consents name the program that discloses

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-30 16:00:00

A consent covers the program it names (42 CFR 2.31: "the name of the program making the
disclosure"). consents.program_id records it; Consent.is_valid requires the client to be in
that program still, so a transfer to another program ends what the old consent allowed.

Existing consents get their client's program at the time of the upgrade (the program their
signed text names, unless a client was moved before this release: the portal had no record
of moves). The column stays nullable (added in place, never by batch copy of a table that
other tables refer to); a consent without a program allows nothing.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite takes the foreign key only inline, in the ADD COLUMN itself.
        op.execute(
            'ALTER TABLE consents ADD COLUMN program_id INTEGER '
            'CONSTRAINT fk_consents_program_id_programs REFERENCES programs (id)'
        )
    else:
        op.add_column('consents', sa.Column('program_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_consents_program_id_programs'), 'consents', 'programs', ['program_id'], ['id'])
    op.execute(
        'UPDATE consents SET program_id = '
        '(SELECT clients.program_id FROM clients WHERE clients.id = consents.client_id)'
    )


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_consents_program_id_programs'), 'consents', type_='foreignkey')
    op.drop_column('consents', 'program_id')
