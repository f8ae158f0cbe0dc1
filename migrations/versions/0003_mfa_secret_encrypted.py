"""two-step sign-in secrets encrypted at rest; the setup secret kept on the session record

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 03:40:00

Adds users.totp_secret_encrypted (a Fernet token) and moves every plain base32 secret from
users.totp_secret into it, encrypted, leaving totp_secret NULL. The old column stays for one
release so processes still running the previous code keep working during a rolling restart
(docs/deploy.md §5); a later migration drops it. session_records gains
mfa_setup_secret_encrypted, so the secret being set up no longer travels in the session cookie.

The key is made here as portal/auth/secretbox.py makes it (a copy, so this migration never
changes with app code): the first MFA_ENCRYPTION_KEYS key when that is set, else HKDF of
SECRET_KEY, both read from the Flask app running the migration. The downgrade decrypts with
any of those keys, and stops before changing anything if a secret will not decrypt.

Columns are added and dropped in place (ALTER TABLE … ADD/DROP COLUMN), never by batch copy:
on SQLite a batch copy drops the `users` table, and with foreign keys on that drop cascades to
every row that refers to a user.
"""
import base64

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

HKDF_INFO = b"family-bridge/mfa-totp-secret/v1"

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("totp_secret", sa.String),
    sa.column("totp_secret_encrypted", sa.String),
)


def _keys():
    config = current_app.config
    listed = [k.strip() for k in (config.get("MFA_ENCRYPTION_KEYS") or "").split(",") if k.strip()]
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO)
    derived = base64.urlsafe_b64encode(hkdf.derive(config["SECRET_KEY"].encode())).decode()
    return [Fernet(k) for k in [*listed, derived]]


def upgrade():
    op.add_column('session_records', sa.Column('mfa_setup_secret_encrypted', sa.String(length=255), nullable=True))
    op.add_column('users', sa.Column('totp_secret_encrypted', sa.String(length=255), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))
    ).all()
    if not rows:
        return
    fernet = _keys()[0]
    for user_id, plain in rows:
        token = fernet.encrypt(plain.encode()).decode()
        connection.execute(
            users.update().where(users.c.id == user_id).values(totp_secret_encrypted=token, totp_secret=None)
        )


def downgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.totp_secret_encrypted).where(users.c.totp_secret_encrypted.is_not(None))
    ).all()
    plain = {}
    if rows:
        fernet = MultiFernet(_keys())
        for user_id, token in rows:
            try:
                plain[user_id] = fernet.decrypt(token.encode()).decode()
            except InvalidToken:
                raise RuntimeError(
                    f"Downgrade stopped: the two-step secret of user {user_id} does not decrypt with "
                    "SECRET_KEY or MFA_ENCRYPTION_KEYS. Set the key it was written with and run it again."
                ) from None
    for user_id, secret in plain.items():
        connection.execute(users.update().where(users.c.id == user_id).values(totp_secret=secret))

    op.drop_column('users', 'totp_secret_encrypted')
    op.drop_column('session_records', 'mfa_setup_secret_encrypted')
