"""Signed out for inactivity: the sign-in page says so and returns the person to where they were."""

from datetime import UTC, datetime, timedelta

import time_machine

from portal.auth.models import SessionRecord
from portal.extensions import db
from tests.factories import PASSWORD, make_user

START = datetime(2026, 3, 2, 14, tzinfo=UTC)
IDLE_NOTICE = "You were signed out because nothing happened for a while"


def test_idle_sign_out_explains_and_returns_to_the_page(client, auth):
    make_user(email="pat@example.org")
    with time_machine.travel(START, tick=False) as traveller:
        auth.login("pat@example.org")
        traveller.shift(timedelta(minutes=31))
        response = client.get("/lessons/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
        login_page = client.get(response.headers["Location"])
        assert IDLE_NOTICE in login_page.get_data(as_text=True)
        token = auth.csrf(response.headers["Location"])
        back = client.post(
            response.headers["Location"], data={"email": "pat@example.org", "password": PASSWORD, "csrf_token": token}
        )
    assert back.status_code == 302
    assert back.headers["Location"] == "/lessons/"
    assert db.session.scalars(db.select(SessionRecord).order_by(SessionRecord.id)).first().revoked_reason == "expired"


def test_idle_notice_is_shown_once(client, auth):
    make_user(email="pat@example.org")
    with time_machine.travel(START, tick=False) as traveller:
        auth.login("pat@example.org")
        traveller.shift(timedelta(minutes=31))
        client.get("/dashboard")
        assert IDLE_NOTICE in client.get("/auth/login").get_data(as_text=True)
        assert IDLE_NOTICE not in client.get("/auth/login").get_data(as_text=True)


def test_a_plain_sign_out_shows_no_idle_notice(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    auth.logout()
    assert IDLE_NOTICE not in client.get("/auth/login").get_data(as_text=True)


def test_absolute_limit_says_the_session_reached_its_limit(client, auth):
    make_user(email="pat@example.org")
    with time_machine.travel(START, tick=False) as traveller:
        auth.login("pat@example.org")
        for _ in range(49):
            traveller.shift(timedelta(minutes=15))
            client.get("/dashboard")
        html = client.get("/auth/login").get_data(as_text=True)
    assert "Your session reached its time limit" in html
