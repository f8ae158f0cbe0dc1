"""axe-core finds no violations on the account, two-step and admin pages (390 px wide)."""

import re

import pyotp
import pytest

from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.extensions import db
from portal.security import Role
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/signup", "/auth/reset", "/auth/verify/not-a-token"])
def test_visitor_pages(page, assert_accessible, path):
    page.goto(path)
    assert page.locator("h1").count() == 1
    assert_accessible(page)


FAMILY_PAGES = [
    "/dashboard",
    "/auth/account",
    "/auth/account/password",
    "/auth/account/email",
    "/auth/account/sessions",
    "/auth/reauthenticate",
    "/auth/mfa/manage",
    "/auth/mfa/setup",
]


@pytest.mark.parametrize("path", FAMILY_PAGES)
def test_account_pages(page, browser_login, assert_accessible, path):
    make_user(email="pat@example.org")
    browser_login(page, "pat@example.org")
    page.goto(path)
    assert page.locator("h1").count() == 1
    assert_accessible(page)


def test_account_form_errors_are_accessible(page, browser_login, assert_accessible):
    make_user(email="pat@example.org")
    browser_login(page, "pat@example.org")
    page.goto("/auth/account/password")
    page.fill("#current_password", "wrong")
    page.fill("#password", "short")
    page.click("main input[type=submit]")
    page.locator(".error-summary").wait_for()
    assert_accessible(page)


def test_mfa_setup_recovery_codes_and_challenge(page, browser_login, assert_accessible):
    make_user(email="pat@example.org")
    browser_login(page, "pat@example.org")
    page.goto("/auth/mfa/setup")
    assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    secret = page.inner_text("code.secret-key")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main input[type=submit]")
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page)
    page.goto("/auth/mfa/manage")
    assert_accessible(page)
    page.click("header button:has-text('Sign out')")
    page.goto("/auth/login")
    page.fill("#email", "pat@example.org")
    page.fill("#password", PASSWORD)
    page.click("main input[type=submit]")
    page.wait_for_url("**/auth/mfa**")
    assert_accessible(page)
    page.fill("#code", codes[0])
    page.click("main input[type=submit]")
    page.wait_for_url("**/dashboard")


@pytest.fixture
def admin_page(page, browser_login):
    make_user(email="avery@example.org", roles=(Role.ADMIN,), display_name="Avery")
    browser_login(page, "avery@example.org")
    return page


def test_admin_users_and_detail(admin_page, assert_accessible):
    river = make_user(email="river@example.org", display_name="River", roles=(Role.FAMILY, Role.MODERATOR))
    admin_page.goto("/admin/users")
    assert_accessible(admin_page)
    admin_page.goto("/admin/users?q=zzz-no-match")
    assert_accessible(admin_page)
    admin_page.goto(f"/admin/users/{river.id}")
    assert_accessible(admin_page)


def test_admin_role_change_and_deactivation_in_the_browser(admin_page, assert_accessible):
    river = make_user(email="river@example.org", display_name="River")
    admin_page.goto(f"/admin/users/{river.id}")
    admin_page.check("input[value=counselor]")
    admin_page.click("button:has-text('Save roles'), input[value='Save roles']")
    admin_page.get_by_text("Roles saved for River.").wait_for()
    assert admin_page.is_checked("input[value=counselor]")
    admin_page.once("dialog", lambda dialog: dialog.accept())
    admin_page.click("button:has-text('Deactivate account')")
    admin_page.get_by_text("River is deactivated").wait_for()
    assert_accessible(admin_page)


def test_admin_audit_log(admin_page, assert_accessible):
    db.session.add(
        AuditEvent(action="care.disclosure", at=utcnow(), client_id=3, outcome="success", detail={"scope": "schedule"})
    )
    db.session.commit()
    admin_page.goto("/admin/audit")
    assert "care.disclosure" in admin_page.inner_text("main")
    assert_accessible(admin_page)
    admin_page.goto("/admin/audit?start=2026-13-40")
    assert_accessible(admin_page)


def test_staff_enrolment_page_when_required(page, live_server, assert_accessible):
    live_server.config["MFA_REQUIRED_FOR_STAFF"] = True
    make_user(email="casey@example.org", roles=(Role.COUNSELOR,))
    page.goto("/auth/login")
    page.fill("#email", "casey@example.org")
    page.fill("#password", PASSWORD)
    page.click("main input[type=submit]")
    page.wait_for_url("**/auth/mfa/setup")
    assert "need two-step sign-in" in page.inner_text("main")
    assert_accessible(page)
    page.goto("/dashboard")
    assert page.url.endswith("/auth/mfa/setup")
    assert re.search(r"[A-Z2-7]{32}", page.inner_text("code.secret-key"))


def test_admin_invites_staff_in_the_browser(admin_page, assert_accessible):
    admin_page.goto("/admin/invitations")
    assert_accessible(admin_page)
    admin_page.click("button:has-text('Send invitation'), input[value='Send invitation']")  # nothing chosen
    assert "Choose at least one" in admin_page.inner_text("main")
    assert_accessible(admin_page)
    admin_page.fill("#email", "riley@example.org")
    admin_page.check("input[value=counselor]")
    admin_page.click("button:has-text('Send invitation'), input[value='Send invitation']")
    admin_page.get_by_text("A message is on its way to riley@example.org").wait_for()
    assert "waiting, until" in admin_page.inner_text("main")
    assert_accessible(admin_page)


def test_ending_one_session_in_the_browser(app, page, browser_login, assert_accessible):
    make_user(email="pat@example.org")
    other = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', other.get("/auth/login").get_data(as_text=True))
    other.post("/auth/login", data={"email": "pat@example.org", "password": PASSWORD, "csrf_token": token.group(1)})
    browser_login(page, "pat@example.org")
    page.goto("/auth/account/sessions")
    assert_accessible(page)
    page.click("button:has-text('Sign out this session')")
    page.get_by_text("That session is signed out.").wait_for()
    assert other.get("/auth/account").status_code == 302
    assert_accessible(page)
