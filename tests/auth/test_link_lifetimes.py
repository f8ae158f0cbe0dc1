"""The page after asking for a link and the email carrying it give the same lifetime, taken
from config (the reset page used to say 24 hours while the email said one hour)."""

from datetime import timedelta

import pytest

from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "lantern meadow copper violin"


def _lifetime_sentences(text):
    return [line.strip() for line in text.splitlines() if "expires in" in line]


@pytest.mark.parametrize(("lifetime", "words"), [(timedelta(hours=1), "1 hour"), (timedelta(hours=2), "2 hours")])
def test_reset_page_and_email_say_the_configured_lifetime(app, auth, outbox, lifetime, words):
    app.config["RESET_TOKEN_LIFETIME"] = lifetime
    make_user(email="casey@example.org")
    page = auth.post("/auth/reset", {"email": "casey@example.org"}, page="/auth/reset").get_data(as_text=True)
    email = outbox()[-1].get_content()
    assert f"expires in {words}." in page and f"expires in {words}." in email
    assert "24 hours" not in page and "one hour" not in email


def test_sign_up_page_and_verification_email_say_the_configured_lifetime(app, auth, outbox):
    app.config["EMAIL_TOKEN_LIFETIME"] = timedelta(hours=48)
    data = {
        "email": "new@example.org",
        "display_name": "River",
        "timezone": "America/New_York",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    page = auth.post("/auth/signup", data, page="/auth/signup").get_data(as_text=True)
    email = outbox()[-1].get_content()
    assert "expires in 2 days." in page and "expires in 2 days." in email


def test_email_change_page_and_email_say_the_configured_lifetime(app, auth, outbox):
    make_user(email="me@example.org")
    auth.login("me@example.org")
    data = {"email": "new@example.org", "password": PASSWORD}
    page = auth.post("/auth/account/email", data, page="/auth/account/email").get_data(as_text=True)
    [email] = [m for m in outbox() if m["To"] == "new@example.org"]
    assert "expires in 24 hours." in page and "expires in 24 hours." in email.get_content()
