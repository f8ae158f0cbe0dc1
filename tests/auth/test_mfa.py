"""Two-step sign-in: enrolment with QR code, login step 2, recovery codes, turning it off."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine

from portal.audit import AuditEvent
from portal.auth.models import RecoveryCode, SessionRecord
from portal.extensions import db
from portal.security import Role
from tests.auth.helpers import current_code, session_data, totp_secret
from tests.factories import PASSWORD, make_user


def actions():
    return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def enrol(client, auth):
    """Open the setup page, read the secret from it, confirm with a code; returns the response."""
    page = client.get("/auth/mfa/setup").get_data(as_text=True)
    secret = re.search(r'<code class="secret-key">(\w+)</code>', page).group(1)
    return secret, auth.post("/auth/mfa/setup", {"code": pyotp.TOTP(secret).now()})


def test_setup_page_shows_a_qr_code_as_an_svg_data_uri(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    response = client.get("/auth/mfa/setup")
    page = response.get_data(as_text=True)
    assert re.search(r'<img class="qr" src="data:image/svg\+xml[^"]+" alt="QR code', page)
    assert "<svg" not in page and "<script" not in page.split("</main>")[0]
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]


def test_enrolment_turns_on_two_step_and_shows_ten_codes_once(client, auth):
    user = make_user(email="pat@example.org")
    auth.login("pat@example.org")
    secret, response = enrol(client, auth)
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.expire_all()
    assert user.mfa_enabled and totp_secret(user) == secret
    stored = db.session.scalars(db.select(RecoveryCode).filter_by(user_id=user.id)).all()
    assert len(stored) == 10
    assert not any(code in row.code_hash for row in stored for code in codes)
    assert "auth.mfa_enabled" in actions()
    manage = client.get("/auth/mfa/manage").get_data(as_text=True)
    assert not any(code in manage for code in codes)
    assert client.get("/auth/mfa/setup").status_code == 302  # already on


def test_enrolment_refuses_a_wrong_code(client, auth):
    user = make_user(email="pat@example.org")
    auth.login("pat@example.org")
    client.get("/auth/mfa/setup")
    response = auth.post("/auth/mfa/setup", {"code": "000000"})
    assert response.status_code == 422
    assert "did not match" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not user.mfa_enabled


def test_login_asks_for_the_code_before_anything_else(client, auth, mfa_user):
    response = auth.login("casey@example.org")
    assert response.headers["Location"].startswith("/auth/mfa")
    assert client.get("/dashboard").status_code == 302  # not signed in yet
    assert client.get("/auth/account").status_code == 302
    record = db.session.scalar(db.select(SessionRecord))
    assert record.mfa_pending
    response = auth.post("/auth/mfa", {"code": current_code(mfa_user)})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    db.session.expire_all()
    assert not record.mfa_pending


def test_next_survives_the_code_step(client, auth, mfa_user):
    token = auth.csrf()
    response = client.post(
        "/auth/login?next=/auth/account/sessions",
        data={"email": "casey@example.org", "password": PASSWORD, "csrf_token": token},
    )
    response = auth.post(response.headers["Location"], {"code": current_code(mfa_user)})
    assert response.headers["Location"] == "/auth/account/sessions"


def test_wrong_code_is_refused_and_audited(client, auth, mfa_user):
    auth.login("casey@example.org")
    response = auth.post("/auth/mfa", {"code": "123456"})
    assert response.status_code == 422
    assert client.get("/dashboard").status_code == 302
    assert "auth.mfa_failed" in actions()


def test_a_code_cannot_be_used_twice(client, auth, mfa_user):
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, 5, tzinfo=UTC), tick=False):
        code = current_code(mfa_user)
        auth.login("casey@example.org")
        assert auth.post("/auth/mfa", {"code": code}).status_code == 302
        auth.logout()
        auth.login("casey@example.org")
        assert auth.post("/auth/mfa", {"code": code}).status_code == 422


def test_recovery_code_signs_in_once(client, auth, mfa_user):
    code = mfa_user.recovery_codes[0]
    auth.login("casey@example.org")
    assert auth.post("/auth/mfa", {"code": code.upper()}).status_code == 302
    assert client.get("/dashboard").status_code == 200
    auth.logout()
    auth.login("casey@example.org")
    assert auth.post("/auth/mfa", {"code": code}).status_code == 422
    used = db.session.scalars(db.select(RecoveryCode).filter(RecoveryCode.used_at.is_not(None))).all()
    assert len(used) == 1


def test_code_step_is_rate_limited(client, auth, mfa_user):
    auth.login("casey@example.org")
    for _ in range(5):
        assert auth.post("/auth/mfa", {"code": "000000"}).status_code == 422
    assert auth.post("/auth/mfa", {"code": current_code(mfa_user)}).status_code == 429
    assert any(
        e.detail == {"scope": "second_factor"}
        for e in db.session.scalars(db.select(AuditEvent).filter_by(action="auth.lockout"))
    )


def test_code_page_without_a_pending_login_goes_to_login(client):
    assert client.get("/auth/mfa").headers["Location"].startswith("/auth/login")


def test_disable_needs_password_and_code(client, auth, mfa_user):
    auth.login("casey@example.org")
    auth.post("/auth/mfa", {"code": current_code(mfa_user)})
    auth.post("/auth/mfa/disable", {"password": "wrong password here", "code": current_code(mfa_user, 1)})
    db.session.expire_all()
    assert mfa_user.mfa_enabled
    auth.post("/auth/mfa/disable", {"password": PASSWORD, "code": "000000"})
    db.session.expire_all()
    assert mfa_user.mfa_enabled
    auth.post("/auth/mfa/disable", {"password": PASSWORD, "code": mfa_user.recovery_codes[1]})
    db.session.expire_all()
    assert not mfa_user.mfa_enabled and mfa_user.totp_secret_encrypted is None
    assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0
    assert "auth.mfa_disabled" in actions()


def test_new_recovery_codes_replace_the_old(client, auth, mfa_user):
    auth.login("casey@example.org")
    auth.post("/auth/mfa", {"code": mfa_user.recovery_codes[0]})
    response = auth.post("/auth/mfa/recovery-codes", {"code": mfa_user.recovery_codes[1]})
    new_codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    assert len(new_codes) == 10
    auth.logout()
    auth.login("casey@example.org")
    assert auth.post("/auth/mfa", {"code": mfa_user.recovery_codes[2]}).status_code == 422
    assert auth.post("/auth/mfa", {"code": new_codes[0]}).status_code == 302


@pytest.fixture
def mfa_required(app):
    app.config["MFA_REQUIRED_FOR_STAFF"] = True
    yield
    app.config["MFA_REQUIRED_FOR_STAFF"] = False


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.COUNSELOR, Role.ADMIN])
def test_required_mode_sends_staff_to_enrolment_and_allows_nothing_else(client, auth, mfa_required, role):
    make_user(email="staff@example.org", roles=(role,))
    response = auth.login("staff@example.org")
    assert response.headers["Location"] == "/auth/mfa/setup"
    for path in ("/dashboard", "/auth/account", "/admin/users", "/auth/mfa/manage"):
        assert client.get(path).headers["Location"] == "/auth/mfa/setup", path
    assert client.get("/auth/mfa/setup").status_code == 200
    enrol(client, auth)
    assert client.get("/dashboard").status_code == 200
    assert auth.logout().status_code == 302


def test_required_mode_leaves_family_members_alone(client, auth, mfa_required):
    make_user(email="pat@example.org")
    assert auth.login("pat@example.org").headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_required_mode_refuses_to_turn_staff_mfa_off(client, auth, mfa_user, mfa_required):
    auth.login("casey@example.org")
    auth.post("/auth/mfa", {"code": current_code(mfa_user)})
    auth.post("/auth/mfa/disable", {"password": PASSWORD, "code": mfa_user.recovery_codes[0]})
    db.session.expire_all()
    assert mfa_user.mfa_enabled


def test_setup_secret_is_kept_while_enrolling(app, client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    first = client.get("/auth/mfa/setup").get_data(as_text=True)
    second = client.get("/auth/mfa/setup").get_data(as_text=True)
    pattern = r'<code class="secret-key">(\w+)</code>'
    secret = re.search(pattern, first).group(1)
    assert re.search(pattern, second).group(1) == secret
    # Kept on the server, encrypted; the (signed, not encrypted) cookie holds no trace of it.
    assert secret not in str(session_data(app, client))
    record = db.session.scalar(db.select(SessionRecord))
    assert record.mfa_setup_secret_encrypted and secret not in record.mfa_setup_secret_encrypted


def test_totp_window_allows_one_step_of_drift(client, auth, mfa_user):
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, 5, tzinfo=UTC), tick=False) as traveller:
        code = current_code(mfa_user)
        traveller.shift(timedelta(seconds=30))
        auth.login("casey@example.org")
        assert auth.post("/auth/mfa", {"code": code}).status_code == 302


def test_dashboard_asks_staff_without_two_step_to_turn_it_on(client, auth, mfa_user):
    make_user(email="morgan@example.org", roles=(Role.MODERATOR,))
    make_user(email="pat@example.org")
    auth.login("morgan@example.org")
    assert "Protect your account" in client.get("/dashboard").get_data(as_text=True)
    auth.logout()
    auth.login("pat@example.org")
    assert "Protect your account" not in client.get("/dashboard").get_data(as_text=True)
    auth.logout()
    auth.login("casey@example.org")
    auth.post("/auth/mfa", {"code": current_code(mfa_user)})
    assert "Protect your account" not in client.get("/dashboard").get_data(as_text=True)
