"""Sign-up, login and reset answer identically whether or not an email has an account."""

from tests.auth.helpers import without_tokens
from tests.factories import make_user

PASSWORD_TRY = "lantern meadow copper violin"


def _signup(auth, email):
    return auth.post(
        "/auth/signup",
        {
            "email": email,
            "display_name": "River",
            "timezone": "America/New_York",
            "password": PASSWORD_TRY,
            "confirm": PASSWORD_TRY,
        },
    )


def test_signup_page_is_the_same_for_known_and_unknown_email(app, auth):
    make_user(email="known@example.org")
    known = _signup(auth, "known@example.org")
    unknown = _signup(auth, "unknown@example.org")
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.get_data(as_text=True)) == without_tokens(unknown.get_data(as_text=True))


def test_login_failure_is_the_same_for_wrong_password_and_unknown_account(app, auth):
    make_user(email="known@example.org")
    known = auth.login("known@example.org", PASSWORD_TRY)
    unknown = auth.login("unknown@example.org", PASSWORD_TRY)
    assert known.status_code == unknown.status_code == 422
    assert without_tokens(known.get_data(as_text=True), "known@example.org") == without_tokens(
        unknown.get_data(as_text=True), "unknown@example.org"
    )


def test_login_failure_is_the_same_for_deactivated_account(app, auth):
    make_user(email="gone@example.org", active=False)
    gone = auth.login("gone@example.org")
    unknown = auth.login("unknown@example.org")
    assert without_tokens(gone.get_data(as_text=True), "gone@example.org") == without_tokens(
        unknown.get_data(as_text=True), "unknown@example.org"
    )


def test_reset_request_is_the_same_for_known_and_unknown_email(app, auth, outbox):
    make_user(email="known@example.org")
    known = auth.post("/auth/reset", {"email": "known@example.org"})
    unknown = auth.post("/auth/reset", {"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.get_data(as_text=True)) == without_tokens(unknown.get_data(as_text=True))
    assert [m["To"] for m in outbox()] == ["known@example.org"]
