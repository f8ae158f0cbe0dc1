"""Authenticator secrets are encrypted at rest, and never ride in the session cookie."""

import re

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from portal import create_app
from portal.audit import AuditEvent
from portal.auth import mfa, secretbox
from portal.auth.models import SessionRecord, User
from portal.config import ConfigError
from portal.extensions import db
from portal.security import Role
from tests.auth.helpers import current_code, session_data
from tests.conftest import AuthActions
from tests.factories import PASSWORD, make_user

SECRET_ON_PAGE = re.compile(r'<code class="secret-key">(\w+)</code>')
UNREADABLE = "cannot check codes from your authenticator app"


def stored_secret_column(user):
    """The users row as the database holds it (no ORM, no decryption)."""
    query = sa.text("SELECT totp_secret_encrypted FROM users WHERE id = :id")
    return db.session.execute(query, {"id": user.id}).scalar()


def enrol_user(email="casey@example.org"):
    user = make_user(email=email, roles=(Role.COUNSELOR,))
    secret = mfa.new_secret()
    user.recovery_codes = mfa.enable(user, secret, pyotp.TOTP(secret).now())
    user.totp_last_step = None  # let the test use the current code again
    db.session.commit()
    return user, secret


def sign_in_with_code(auth, email, code):
    auth.login(email)
    return auth.post("/auth/mfa", {"code": code})


# --- at rest --------------------------------------------------------------------------------


def test_enrolment_through_the_pages_stores_no_plain_secret(client, auth):
    user = make_user(email="pat@example.org")
    auth.login("pat@example.org")
    secret = SECRET_ON_PAGE.search(client.get("/auth/mfa/setup").get_data(as_text=True)).group(1)
    assert auth.post("/auth/mfa/setup", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    row = repr(tuple(db.session.execute(sa.text("SELECT * FROM users WHERE id = :id"), {"id": user.id}).one()))
    assert secret not in row and secret.lower() not in row.lower()
    stored = stored_secret_column(user)
    assert Fernet(secretbox.derived_key("testing-secret-key-not-for-production")).decrypt(stored.encode()) == (
        secret.encode()
    )
    # No copy anywhere else: not on the session record either, now that setup is done.
    assert db.session.scalar(db.select(SessionRecord.mfa_setup_secret_encrypted)) is None


def test_an_encrypted_secret_still_signs_in(client, auth):
    user, secret = enrol_user()
    assert secret not in stored_secret_column(user)
    assert sign_in_with_code(auth, "casey@example.org", pyotp.TOTP(secret).now()).status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_the_key_is_not_the_secret_key_itself(app):
    """HKDF with an info string of its own: never the key that signs cookies."""
    key = secretbox.derived_key(app.config["SECRET_KEY"])
    assert key != app.config["SECRET_KEY"].encode()
    assert key == secretbox.derived_key(app.config["SECRET_KEY"])  # stable across restarts
    assert key != secretbox.derived_key(app.config["SECRET_KEY"] + "x")


def test_a_plain_secret_written_by_the_previous_release_signs_in_once_then_is_encrypted(client, auth):
    """Rolling restart: an old process enrols someone after migration 0003 ran."""
    user, secret = enrol_user()
    user.totp_secret_encrypted, user.totp_secret = None, secret  # what the old code writes
    db.session.commit()
    assert sign_in_with_code(auth, "casey@example.org", pyotp.TOTP(secret).now()).status_code == 302
    assert client.get("/dashboard").status_code == 200
    db.session.expire_all()
    plain = db.session.execute(sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user.id}).scalar()
    assert plain is None
    assert secret not in stored_secret_column(user)


# --- key rotation ---------------------------------------------------------------------------


def test_a_secret_under_an_older_listed_key_still_verifies_and_moves_to_the_new_key(app, client, auth):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["MFA_ENCRYPTION_KEYS"] = old
    user, secret = enrol_user()
    assert Fernet(old).decrypt(stored_secret_column(user).encode()) == secret.encode()

    app.config["MFA_ENCRYPTION_KEYS"] = f"{new}, {old}"
    assert sign_in_with_code(auth, "casey@example.org", pyotp.TOTP(secret).now()).status_code == 302
    assert client.get("/dashboard").status_code == 200
    # Re-written under the first key at this successful use, so the old key can be retired.
    assert Fernet(new).decrypt(stored_secret_column(user).encode()) == secret.encode()


def test_secrets_under_the_secret_key_keep_working_once_keys_are_listed(app, client, auth):
    user, secret = enrol_user()  # no MFA_ENCRYPTION_KEYS: the SECRET_KEY-derived key
    app.config["MFA_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    assert sign_in_with_code(auth, "casey@example.org", pyotp.TOTP(secret).now()).status_code == 302


def test_changing_secret_key_as_docs_deploy_describes_keeps_codes_working(app, client, auth):
    """Keep the derived key in MFA_ENCRYPTION_KEYS, then change SECRET_KEY."""
    user, secret = enrol_user()
    app.config["MFA_ENCRYPTION_KEYS"] = secretbox.derived_key(app.config["SECRET_KEY"]).decode()
    app.config["SECRET_KEY"] = "a-brand-new-secret-key-with-enough-characters"
    assert sign_in_with_code(auth, "casey@example.org", pyotp.TOTP(secret).now()).status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_a_bad_key_in_the_environment_stops_start_up():
    with pytest.raises(ConfigError, match="MFA_ENCRYPTION_KEYS: key 2 is not a Fernet key"):
        create_app("testing", MFA_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},not-a-key")


# --- fail closed ----------------------------------------------------------------------------


def tamper(user):
    stored = stored_secret_column(user)
    middle = len(stored) // 2
    changed = stored[:middle] + ("A" if stored[middle] != "A" else "B") + stored[middle + 1 :]
    db.session.execute(
        sa.text("UPDATE users SET totp_secret_encrypted = :v WHERE id = :id"), {"v": changed, "id": user.id}
    )
    db.session.commit()
    db.session.expire_all()


def test_tampered_ciphertext_refuses_app_codes_with_a_clear_message(client, auth):
    user, secret = enrol_user()
    tamper(user)
    response = sign_in_with_code(auth, "casey@example.org", pyotp.TOTP(secret).now())
    assert response.status_code == 422
    assert UNREADABLE in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # not signed in
    assert db.session.scalar(db.select(SessionRecord)).mfa_pending
    event = db.session.scalars(db.select(AuditEvent).filter_by(action="auth.mfa_failed")).one()
    assert event.detail == {"reason": "secret_unreadable"}
    # Recovery codes are their own factor and still let the person in.
    assert auth.post("/auth/mfa", {"code": user.recovery_codes[0]}).status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_a_changed_secret_key_fails_closed_too(app, client, auth):
    user, secret = enrol_user()
    app.config["SECRET_KEY"] = "a-different-secret-key-after-rotation-000"
    response = sign_in_with_code(auth, "casey@example.org", pyotp.TOTP(secret).now())
    assert response.status_code == 422 and UNREADABLE in response.get_data(as_text=True)


def test_tampered_ciphertext_is_no_500_on_the_signed_in_pages(client, auth):
    user, secret = enrol_user()
    sign_in_with_code(auth, "casey@example.org", current_code(user))
    assert client.get("/dashboard").status_code == 200
    tamper(user)
    code = pyotp.TOTP(secret).now()

    response = auth.post("/auth/reauthenticate", {"password": PASSWORD, "code": code})
    assert response.status_code == 422 and UNREADABLE in response.get_data(as_text=True)

    response = auth.post("/auth/mfa/recovery-codes", {"code": code}, follow_redirects=True)
    assert response.status_code == 200 and UNREADABLE in response.get_data(as_text=True)

    response = auth.post("/auth/mfa/disable", {"password": PASSWORD, "code": code}, follow_redirects=True)
    assert response.status_code == 200 and UNREADABLE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).mfa_enabled

    # A recovery code can still turn it off, so the person can set it up again.
    auth.post("/auth/mfa/disable", {"password": PASSWORD, "code": user.recovery_codes[1]})
    db.session.expire_all()
    assert not db.session.get(User, user.id).mfa_enabled


# --- setup: the pending secret stays on the server ------------------------------------------


def test_setup_keeps_the_pending_secret_out_of_the_cookie(app, client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    page = client.get("/auth/mfa/setup").get_data(as_text=True)
    secret = SECRET_ON_PAGE.search(page).group(1)

    cookie = session_data(app, client)
    assert cookie  # the signed cookie is readable by whoever holds it …
    assert secret not in repr(cookie) and secret.lower() not in repr(cookie).lower()
    assert not any("secret" in key or "mfa" in key for key in cookie)  # … and holds nothing of it

    record = db.session.scalar(db.select(SessionRecord))
    assert secret not in record.mfa_setup_secret_encrypted
    assert secretbox.decrypt(record.mfa_setup_secret_encrypted)[0] == secret


def test_setup_with_a_wrong_code_shows_the_error_and_the_same_secret(app, client, auth):
    user = make_user(email="pat@example.org")
    auth.login("pat@example.org")
    secret = SECRET_ON_PAGE.search(client.get("/auth/mfa/setup").get_data(as_text=True)).group(1)
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"

    response = auth.post("/auth/mfa/setup", {"code": wrong})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'<p class="error" id="code-error">That code did not match', page)
    assert SECRET_ON_PAGE.search(page).group(1) == secret
    assert secret not in repr(session_data(app, client))
    db.session.expire_all()
    assert not db.session.get(User, user.id).mfa_enabled

    assert auth.post("/auth/mfa/setup", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(db.select(SessionRecord)).mfa_setup_secret_encrypted is None
    assert db.session.get(User, user.id).mfa_enabled


def test_signing_out_mid_setup_clears_the_pending_secret(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    client.get("/auth/mfa/setup")
    assert db.session.scalar(db.select(SessionRecord)).mfa_setup_secret_encrypted
    auth.logout()
    db.session.expire_all()
    record = db.session.scalar(db.select(SessionRecord))
    assert record.revoked_at is not None and record.mfa_setup_secret_encrypted is None


def test_each_browser_gets_its_own_pending_secret(app, auth):
    make_user(email="pat@example.org")
    first, second = app.test_client(), app.test_client()
    secrets_seen = []
    for browser in (first, second):
        AuthActions(browser).login("pat@example.org")
        secrets_seen.append(SECRET_ON_PAGE.search(browser.get("/auth/mfa/setup").get_data(as_text=True)).group(1))
    assert secrets_seen[0] != secrets_seen[1]
