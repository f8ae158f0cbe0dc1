"""Encryption at rest for two-step sign-in secrets (Fernet: AES-128-CBC with HMAC-SHA256).

The key comes from SECRET_KEY through HKDF with an info string of its own, so it is never the
key that signs cookies. MFA_ENCRYPTION_KEYS (optional, comma-separated Fernet keys) adds keys
that do not change with SECRET_KEY: the first one encrypts; every listed key, and then the
SECRET_KEY key, can decrypt. A secret read with any key but the first is written again with
the first at its next successful use (see mfa.verify_second_factor).

`python -m portal.auth.secretbox` prints the Fernet key derived from the SECRET_KEY in the
environment, so an operator can keep it in MFA_ENCRYPTION_KEYS before changing SECRET_KEY.
"""

import base64
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from portal.config import parse_keys

# Changing this string changes the key: migration 0003 uses the same value.
HKDF_INFO = b"family-bridge/mfa-totp-secret/v1"


class SecretUnreadable(Exception):
    """A stored secret did not decrypt: wrong or missing key, or the value was changed."""


def derived_key(secret_key):
    """The Fernet key for two-step secrets derived from SECRET_KEY (urlsafe base64, 32 bytes)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def keys_for(config):
    """Every key that may decrypt, the encrypting one first."""
    return [*parse_keys(config.get("MFA_ENCRYPTION_KEYS")), derived_key(config["SECRET_KEY"])]


def encrypt(plain):
    return Fernet(keys_for(current_app.config)[0]).encrypt(plain.encode()).decode()


def decrypt(token):
    """(plain text, whether it was written with the current first key). Raises SecretUnreadable."""
    primary, *older = (Fernet(key) for key in keys_for(current_app.config))
    if not token or not isinstance(token, str):
        raise SecretUnreadable("empty")
    try:
        return primary.decrypt(token.encode()).decode(), True
    except InvalidToken:
        pass
    if older:
        try:
            return MultiFernet(older).decrypt(token.encode()).decode(), False
        except InvalidToken:
            pass
    raise SecretUnreadable("no key opens this value, or it was changed")


if __name__ == "__main__":  # pragma: no cover - an operator's tool, documented in docs/deploy.md
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        raise SystemExit("Set SECRET_KEY in the environment (e.g. `set -a; . /etc/family-bridge/env; set +a`).")
    print(derived_key(secret_key).decode())
