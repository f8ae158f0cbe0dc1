"""Session records: idle and absolute limits, rotation, revocation, cookies, headers, redirects."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.auth.models import SessionRecord
from portal.config import ProductionConfig
from portal.extensions import db
from portal.security import Role, hash_token
from tests.auth.helpers import session_data
from tests.factories import make_user

START = datetime(2026, 3, 2, 14, tzinfo=UTC)


def signed_in(client):
    return client.get("/auth/account").status_code == 200


@pytest.mark.parametrize(
    ("roles", "limit"), [((Role.FAMILY,), 30), ((Role.MODERATOR,), 15), ((Role.COUNSELOR,), 15), ((Role.ADMIN,), 15)]
)
def test_idle_timeout_by_role(client, auth, roles, limit):
    make_user(email="pat@example.org", roles=roles)
    with time_machine.travel(START, tick=False) as traveller:
        auth.login("pat@example.org")
        traveller.shift(timedelta(minutes=limit - 1))
        assert signed_in(client)  # activity moves the idle clock
        traveller.shift(timedelta(minutes=limit - 1))
        assert signed_in(client)
        traveller.shift(timedelta(minutes=limit, seconds=1))
        assert not signed_in(client)
    record = db.session.scalar(db.select(SessionRecord))
    assert record.revoked_reason == "expired"


def test_absolute_lifetime_of_12_hours_even_when_active(client, auth):
    make_user(email="pat@example.org")
    with time_machine.travel(START, tick=False) as traveller:
        auth.login("pat@example.org")
        for _ in range(47):  # 47 × 15 min = 11 h 45 min, always active
            traveller.shift(timedelta(minutes=15))
            assert signed_in(client)
        traveller.shift(timedelta(minutes=16))
        assert not signed_in(client)


def test_session_id_rotates_at_login_and_a_planted_id_is_useless(app, client, auth):
    make_user(email="pat@example.org")
    with client.session_transaction() as sess:
        sess["sid"] = "planted-by-an-attacker"
    before = client.get_cookie("fb_session").value
    auth.login("pat@example.org")
    after = session_data(app, client)
    assert client.get_cookie("fb_session").value != before
    assert after["sid"] != "planted-by-an-attacker"
    record = db.session.scalar(db.select(SessionRecord))
    assert record.token_hash == hash_token(after["sid"])
    assert after["sid"] not in record.token_hash  # only the hash is stored


def test_old_session_cookie_is_unusable_after_logout_and_new_login(app, client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    old_cookie = client.get_cookie("fb_session").value
    auth.logout()
    auth.login("pat@example.org")
    assert signed_in(client)
    client.set_cookie("fb_session", old_cookie)
    assert not signed_in(client)


def test_logout_revokes_the_record(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    cookie = client.get_cookie("fb_session").value
    auth.logout()
    record = db.session.scalar(db.select(SessionRecord))
    assert record.revoked_reason == "logout"
    client.set_cookie("fb_session", cookie)  # replaying the cookie does not bring it back
    assert not signed_in(client)


def test_logout_is_post_only(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    assert client.get("/auth/logout").status_code == 405
    assert signed_in(client)


def test_deactivation_ends_sessions_at_once(client, auth):
    user = make_user(email="pat@example.org")
    auth.login("pat@example.org")
    assert signed_in(client)
    user.active = False
    db.session.commit()
    assert not signed_in(client)


def test_no_remember_me(client, auth):
    make_user(email="pat@example.org")
    assert "remember" not in client.get("/auth/login").get_data(as_text=True).lower()
    response = auth.login("pat@example.org")
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))
    response = auth.post("/auth/login", {"email": "x@example.org", "password": "y" * 12, "remember": "y"})
    assert client.get_cookie("remember_token") is None


def test_authenticated_pages_are_not_cached(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    for path in ("/dashboard", "/auth/account", "/auth/account/sessions"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_cookie_flags(client, auth):
    make_user(email="pat@example.org")
    cookie = auth.login("pat@example.org").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in testing; production sets it


def test_production_config_uses_secure_cookies():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "https://evil.com",
        "/\\evil.com",
        "javascript:alert(1)",
        "http:/evil.com",
        "\\\\evil.com",
        "/\r\nLocation: https://evil.com",
        " //evil.com",
    ],
)
def test_unsafe_next_is_ignored(client, auth, target):
    make_user(email="pat@example.org")
    token = auth.csrf("/auth/login")
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": "pat@example.org", "password": "correct horse battery staple", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_safe_next_is_followed(client, auth):
    make_user(email="pat@example.org")
    token = auth.csrf("/auth/login")
    response = client.post(
        "/auth/login?next=/auth/account",
        data={"email": "pat@example.org", "password": "correct horse battery staple", "csrf_token": token},
    )
    assert response.headers["Location"] == "/auth/account"
