"""The addresses people guess lead to the real pages; a typed /logout shows a button, not a 404."""

import pytest

from portal.auth.models import SessionRecord
from portal.extensions import db
from tests.factories import make_user


@pytest.mark.parametrize(
    ("guess", "real"),
    [
        ("/login", "/auth/login"),
        ("/signin", "/auth/login"),
        ("/sign-in", "/auth/login"),
        ("/register", "/auth/signup"),
        ("/signup", "/auth/signup"),
        ("/signout", "/logout"),
    ],
)
def test_usual_guesses_redirect_to_the_real_pages(client, guess, real):
    response = client.get(guess)
    assert response.status_code == 302
    assert response.headers["Location"] == real
    assert client.get(guess, follow_redirects=True).status_code == 200


def test_login_guess_keeps_a_local_next_only(client):
    response = client.get("/login?next=/lessons/")
    assert response.headers["Location"] == "/auth/login?next=/lessons/"
    # an outside next survives the redirect but is refused at sign-in (safe_next), as before
    assert client.get("/login?next=https://evil.example/").status_code == 302


def test_get_logout_shows_a_sign_out_button_and_signs_nobody_out(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    page = client.get("/logout")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'action="/auth/logout"' in html and 'method="post"' in html
    assert db.session.scalar(db.select(SessionRecord)).revoked_at is None
    assert client.get("/dashboard").status_code == 200


def test_get_logout_signed_out_offers_sign_in(client):
    html = client.get("/logout").get_data(as_text=True)
    assert 'href="/auth/login"' in html


def test_post_logout_still_signs_out(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    auth.logout()
    assert client.get("/dashboard").status_code == 302


def test_get_on_the_real_logout_stays_405(client):
    assert client.get("/auth/logout").status_code == 405
