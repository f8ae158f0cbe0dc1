"""Sign-up and email verification: single-use, expiring links; unverified accounts cannot sign in."""

from datetime import UTC, datetime, timedelta

import time_machine

from portal.auth.models import SessionRecord, User
from portal.extensions import db
from tests.auth.helpers import last_link
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "lantern meadow copper violin"


def signup(auth, email="new@example.org", name="River", password=NEW_PASSWORD):
    return auth.post(
        "/auth/signup",
        {
            "email": email,
            "display_name": name,
            "timezone": "America/Chicago",
            "password": password,
            "confirm": password,
        },
        page="/auth/signup",
    )


def user_by_email(email):
    return db.session.scalar(db.select(User).filter_by(email=email))


def test_signup_creates_unverified_family_account_and_sends_link(client, auth, outbox):
    response = signup(auth)
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    user = user_by_email("new@example.org")
    assert user.display_name == "River" and user.timezone == "America/Chicago"
    assert not user.is_verified
    assert {r.value for r in user.roles} == {"family"}
    assert last_link(outbox, "new@example.org").startswith("/auth/verify/")


def test_verification_link_is_single_use(client, auth, outbox):
    signup(auth)
    link = last_link(outbox)
    assert client.get(link).status_code == 200  # opening the page changes nothing
    assert not user_by_email("new@example.org").is_verified
    response = auth.post(link, page=link)
    assert response.status_code == 302
    db.session.expire_all()
    assert user_by_email("new@example.org").is_verified
    assert client.get(link).status_code == 404
    assert auth.post(link).status_code == 404


def test_verification_link_expires_after_24_hours(client, auth, outbox):
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False) as traveller:
        signup(auth)
        link = last_link(outbox)
        traveller.shift(timedelta(hours=23, minutes=59))
        assert client.get(link).status_code == 200
        traveller.shift(timedelta(minutes=2))
        response = client.get(link)
        assert response.status_code == 404
        assert "cannot be used" in response.get_data(as_text=True)
    assert not user_by_email("new@example.org").is_verified


def test_unverified_account_cannot_sign_in_and_gets_a_fresh_link(client, auth, outbox):
    signup(auth)
    first_link = last_link(outbox)
    response = auth.login("new@example.org", NEW_PASSWORD)
    page = response.get_data(as_text=True)
    assert "Confirm your email first" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(SessionRecord)) == 0
    assert client.get("/dashboard").status_code == 302
    fresh_link = last_link(outbox)
    assert fresh_link != first_link
    assert client.get(first_link).status_code == 404  # the older link stops working
    auth.post(fresh_link, page=fresh_link)
    assert auth.login("new@example.org", NEW_PASSWORD).headers["Location"].endswith("/dashboard")


def test_unverified_account_with_wrong_password_sees_the_ordinary_error(client, auth, outbox):
    signup(auth)
    sent = len(outbox())
    page = auth.login("new@example.org", "wrong password entirely").get_data(as_text=True)
    assert "do not match" in page
    assert "Confirm your email first" not in page
    assert len(outbox()) == sent


def test_signup_refuses_weak_password_and_mismatch(client, auth):
    response = signup(auth, password="password1234")
    assert response.status_code == 422
    assert "too common" in response.get_data(as_text=True)
    assert user_by_email("new@example.org") is None


def test_existing_email_gets_a_notice_not_a_second_account(client, auth, outbox):
    make_user(email="pat@example.org")
    response = signup(auth, email="PAT@example.org")
    assert "Check your email" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1
    assert "already have an account" in outbox()[-1].get_content()


def test_reset_password_flow_ends_sessions(client, auth, outbox):
    user = make_user(email="pat@example.org")
    auth.post("/auth/reset", {"email": "pat@example.org"}, page="/auth/reset")
    link = last_link(outbox, "pat@example.org")
    assert link.startswith("/auth/reset/")
    response = auth.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page=link)
    assert response.status_code == 302
    assert auth.login("pat@example.org", PASSWORD).status_code == 422
    assert auth.login("pat@example.org", NEW_PASSWORD).status_code == 302
    assert client.get(link).status_code == 404
    assert user.id
