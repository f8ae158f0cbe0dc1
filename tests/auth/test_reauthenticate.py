"""Re-authentication before sensitive changes: password, plus a code when two-step is on."""

from datetime import UTC, datetime, timedelta

import time_machine

from portal.auth.models import SessionRecord
from portal.extensions import db
from tests.auth.helpers import current_code
from tests.factories import PASSWORD, make_user

START = datetime(2026, 3, 4, 9, tzinfo=UTC)


def record():
    db.session.expire_all()
    return db.session.scalar(db.select(SessionRecord).filter_by(revoked_at=None, mfa_pending=False))


def test_password_refreshes_the_sign_in_time_and_follows_next(client, auth):
    make_user(email="pat@example.org")
    with time_machine.travel(START, tick=False) as traveller:
        auth.login("pat@example.org")
        traveller.shift(timedelta(minutes=12))
        response = auth.post("/auth/reauthenticate?next=/auth/account", {"password": PASSWORD})
        assert response.headers["Location"] == "/auth/account"
        assert record().authenticated_at == START + timedelta(minutes=12)


def test_wrong_password_keeps_the_old_time(client, auth):
    make_user(email="pat@example.org")
    with time_machine.travel(START, tick=False) as traveller:
        auth.login("pat@example.org")
        traveller.shift(timedelta(minutes=12))
        response = auth.post("/auth/reauthenticate", {"password": "not the password here"})
        assert response.status_code == 422
        assert record().authenticated_at == START


def test_unsafe_next_is_ignored(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    response = auth.post("/auth/reauthenticate?next=//evil.com", {"password": PASSWORD})
    assert response.headers["Location"] == "/dashboard"


def test_two_step_accounts_also_need_a_code(client, auth, mfa_user):
    with time_machine.travel(START, tick=False) as traveller:
        auth.login("casey@example.org")
        auth.post("/auth/mfa", {"code": current_code(mfa_user)})
        traveller.shift(timedelta(minutes=12))
        assert 'name="code"' in client.get("/auth/reauthenticate").get_data(as_text=True)
        assert auth.post("/auth/reauthenticate", {"password": PASSWORD}).status_code == 422
        assert auth.post("/auth/reauthenticate", {"password": PASSWORD, "code": "000000"}).status_code == 422
        assert record().authenticated_at == START
        response = auth.post("/auth/reauthenticate", {"password": PASSWORD, "code": current_code(mfa_user, 1)})
        assert response.status_code == 302
        assert record().authenticated_at == START + timedelta(minutes=12)


def test_reauthenticate_needs_a_signed_in_session(client):
    assert client.get("/auth/reauthenticate").headers["Location"].startswith("/auth/login")
