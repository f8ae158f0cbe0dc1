"""Account flows in Chromium: sign up → verify via the outbox → sign in → sign out, errors, keyboard."""

import re

import pytest

from portal.extensions import db
from portal.security import Role
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "lantern meadow copper violin"


def verification_link(outbox):
    body = outbox()[-1].get_content()
    return re.search(r"https?://\S+/auth/verify/\S+", body).group(0)


def test_sign_up_verify_sign_in_sign_out(page, outbox, assert_accessible):
    page.goto("/auth/signup")
    page.fill("#email", "river@example.org")
    page.fill("#display_name", "River")
    page.select_option("#timezone", "America/Chicago")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.get_by_role("heading", name="Check your email").wait_for()
    assert_accessible(page)

    page.goto(verification_link(outbox))
    page.get_by_role("heading", name="Confirm your email").wait_for()
    page.click("main input[type=submit]")
    page.wait_for_url("**/auth/login")
    assert "your email is confirmed" in page.inner_text("main")

    page.fill("#email", "river@example.org")
    page.fill("#password", NEW_PASSWORD)
    page.click("main input[type=submit]")
    page.wait_for_url("**/dashboard")
    assert "Welcome, River" in page.inner_text("h1")

    page.click("header button:has-text('Sign out')")
    page.get_by_text("You are signed out.").wait_for()
    page.goto("/dashboard")
    assert "/auth/login" in page.url


def test_unverified_sign_in_is_told_to_confirm_first(page, outbox):
    page.goto("/auth/signup")
    page.fill("#email", "river@example.org")
    page.fill("#display_name", "River")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.click("main input[type=submit]")
    page.get_by_role("heading", name="Check your email").wait_for()
    sent = len(outbox())
    page.goto("/auth/login")
    page.fill("#email", "river@example.org")
    page.fill("#password", NEW_PASSWORD)
    page.click("main input[type=submit]")
    page.get_by_role("heading", name="Confirm your email first").wait_for()
    assert len(outbox()) == sent + 1


def test_wrong_password_shows_the_error(page, assert_accessible):
    make_user(email="pat@example.org")
    page.goto("/auth/login")
    page.fill("#email", "pat@example.org")
    page.fill("#password", "not the right password")
    page.click("main input[type=submit]")
    error = page.locator("#password-error")
    error.wait_for()
    assert "do not match" in error.inner_text()
    assert page.get_attribute("#password", "aria-invalid") == "true"
    assert "/auth/login" in page.url
    assert_accessible(page)


def test_keyboard_only_login(page):
    make_user(email="pat@example.org")
    page.goto("/auth/login")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type("pat@example.org")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")


def test_skip_link_is_first_and_visible_on_focus(page):
    page.goto("/auth/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()


@pytest.mark.parametrize(
    "email",
    [
        "family@example.org",
        "family2@example.org",
        "moderator@example.org",
        "counselor@example.org",
        "admin@example.org",
    ],
)
def test_every_demo_account_signs_in(page, browser_login, email):
    from portal import demo

    demo.seed("demo-password-for-tests")
    db.session.commit()
    browser_login(page, email, "demo-password-for-tests")
    assert "Welcome" in page.inner_text("h1")
    page.click("header button:has-text('Sign out')")
    page.get_by_text("You are signed out.").wait_for()


def test_staff_member_signs_in_with_a_code(page, browser_login):
    import pyotp

    from portal.auth import mfa

    user = make_user(email="casey@example.org", roles=(Role.COUNSELOR,))
    secret = mfa.new_secret()
    mfa.enable(user, secret, pyotp.TOTP(secret).now())
    user.totp_last_step = None
    db.session.commit()
    page.goto("/auth/login")
    page.fill("#email", "casey@example.org")
    page.fill("#password", PASSWORD)
    page.click("main input[type=submit]")
    page.wait_for_url("**/auth/mfa**")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main input[type=submit]")
    page.wait_for_url("**/dashboard")
