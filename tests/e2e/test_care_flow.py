"""The consent journey in Chromium: client → consent → invitation → sign-up → My family → revocation.

axe-core runs on every care page on the way.
"""

import os
import re
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from portal.security import Role, hash_token
from tests.factories import PASSWORD, make_program, make_user

SUBMIT = "main form [type=submit]"


def _links(app, pattern):
    """Links matching pattern in the outbox, oldest mail first (after delivering the queue)."""
    from portal.mail import deliver_due

    deliver_due()
    folder = Path(app.config["MAIL_OUTBOX"])
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        body = message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
        found += re.findall(pattern, body)
    return found


def _counselor_creates_client_and_consent(page, assert_accessible):
    page.goto("/care/clients")
    assert_accessible(page)
    page.get_by_role("link", name="Add a client").click()
    assert_accessible(page)
    page.fill("#full_name", "Sam Rivera")
    page.fill("#enrollment_start", (date.today() - timedelta(days=3)).isoformat())
    page.fill("#expected_end", (date.today() + timedelta(days=60)).isoformat())
    page.click(SUBMIT)
    page.wait_for_selector("h1:has-text('Sam Rivera')")
    assert_accessible(page)
    page.get_by_role("link", name="Record a consent").click()
    assert_accessible(page)
    page.click(SUBMIT)  # empty form: the error summary and field errors must be accessible too
    page.wait_for_selector(".error-summary")
    assert_accessible(page)
    page.fill("#recipient_name", "Jordan")
    page.fill("#recipient_relationship", "parent")
    page.fill("#recipient_email", "jordan@example.org")
    page.check("#includes_attendance")
    page.click(SUBMIT)
    page.wait_for_selector("h1:has-text('Review and sign')")
    assert "42 CFR Part 2" in page.inner_text(".consent-text")
    assert_accessible(page)
    page.fill("#signature_name", "sam rivera")
    page.check("#attest")
    page.get_by_role("button", name="Sign consent").click()
    page.wait_for_selector("h1:has-text('copy for Sam Rivera')")
    assert "Electronic signature of the client: sam rivera" in page.inner_text(".consent-text")
    assert_accessible(page)
    page.get_by_role("link", name="Back to the client").click()
    page.get_by_role("button", name="Send invitation — Jordan").click()
    page.wait_for_selector("text=The invitation is on its way")


def _family_signs_up_and_accepts(page, live_server, invite, assert_accessible):
    page.goto(invite)
    assert_accessible(page)
    assert "Sam Rivera" not in page.content()
    page.get_by_role("link", name="Create an account").click()
    page.fill("#email", "jordan@example.org")
    page.fill("#display_name", "Jordan R")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click(SUBMIT)
    page.wait_for_load_state()
    verify = _links(live_server, r"https?://\S+/auth/verify/\S+")[-1]
    page.goto(verify)
    page.click(SUBMIT)
    page.wait_for_url("**/auth/login**")
    page.goto(invite)
    page.get_by_role("link", name="Sign in to accept").click()
    page.fill("#email", "jordan@example.org")
    page.fill("#password", PASSWORD)
    page.click(SUBMIT)
    page.wait_for_selector("h1:has-text('Accept the invitation')")
    assert_accessible(page)
    page.get_by_role("button", name="Accept and link my account").click()
    page.wait_for_url("**/care/my-family")
    assert "Sam Rivera" in page.inner_text("main")
    assert "42 CFR Part 2" in page.inner_text("main")
    assert_accessible(page)


def test_consent_invitation_revocation_journey(page, browser, live_server, browser_login, assert_accessible):
    counselor = make_user(email="casey@example.org", roles=(Role.COUNSELOR,), display_name="Casey")
    make_program(name="Evening IOP", counselors=[counselor])
    browser_login(page, counselor.email)
    _counselor_creates_client_and_consent(page, assert_accessible)
    invite = _links(live_server, r"https?://\S+/care/invite/\S+")[-1]

    family_context = browser.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844})
    family_page = family_context.new_page()
    family_page.set_default_timeout(10_000)
    _family_signs_up_and_accepts(family_page, live_server, invite, assert_accessible)

    page.goto("/care/clients")
    page.get_by_role("link", name="Sam Rivera").click()
    page.get_by_role("link", name="Revoke — Jordan").click()
    assert_accessible(page)
    page.check("#method-0")
    page.click(SUBMIT)
    page.wait_for_selector("text=The consent is revoked")

    family_page.reload()
    assert "Sam Rivera" not in family_page.inner_text("main")
    assert "not linked to anyone" in family_page.inner_text("main")
    assert_accessible(family_page)
    family_page.goto(invite)
    assert "This link cannot be used" in family_page.inner_text("h1")
    assert_accessible(family_page)
    family_context.close()

    page.get_by_role("link", name="Accounting of disclosures").click()
    text = page.inner_text("main")
    assert "Saw the My family page" in text and "Jordan (parent)" in text
    assert "Consent revoked" in text and "Invitation accepted" in text and "disclosure." not in text
    assert_accessible(page)
    page.goto(page.url.replace("/disclosures", "/end"))
    assert_accessible(page)


def test_program_pages_are_accessible(page, browser_login, assert_accessible):
    admin = make_user(email="avery@example.org", roles=(Role.ADMIN,))
    make_user(email="casey@example.org", roles=(Role.COUNSELOR,), display_name="Casey")
    browser_login(page, admin.email)
    page.goto("/care/programs")
    assert_accessible(page)
    page.get_by_role("link", name="Add a program").click()
    assert_accessible(page)
    page.fill("#name", "Morning IOP")
    page.select_option("#counselor_ids", label="Casey (casey@example.org)")
    page.click(SUBMIT)
    page.wait_for_selector("td:has-text('Morning IOP')")
    assert "Casey" in page.inner_text("main")
    page.goto("/dashboard")
    assert "Clients and consents" in page.inner_text("main")


def test_invitation_side_pages_are_accessible(page, browser, live_server, browser_login, assert_accessible):
    """The "another account" page, an invitation waiting on My family, and the empty My family page."""
    from portal.care import invitations
    from portal.care.models import Invitation
    from portal.clock import utcnow
    from portal.extensions import db
    from tests.factories import link_family, make_client

    counselor = make_user(roles=(Role.COUNSELOR,))
    sam = make_client(full_name="Sam Rivera", counselor=counselor)
    recipient = make_user(email="jordan@example.org", display_name="Jordan R")
    consent = link_family(make_user(), sam, witness=counselor).consent
    consent.recipient_email = recipient.email
    token = "e2e-token-" + "x" * 30
    db.session.add(
        Invitation(
            consent=consent,
            token_hash=hash_token(token),
            email=recipient.email,
            expires_at=utcnow() + invitations.LIFETIME,
        )
    )
    db.session.commit()

    other = make_user(email="someone@example.org")
    browser_login(page, other.email)
    page.goto("/care/my-family")
    assert "not linked to anyone" in page.inner_text("main")
    assert_accessible(page)
    page.goto(f"/care/invite/{token}")
    assert "another account" in page.inner_text("h1")
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    browser_login(page, recipient.email)
    page.goto("/care/my-family")
    assert "Invitations waiting for you" in page.inner_text("main")
    assert_accessible(page)
    page.get_by_role("button", name="Accept and link my account — Sam Rivera").click()
    page.wait_for_selector("h2:has-text('Sam Rivera')")
    assert_accessible(page)


def test_paged_client_list_is_accessible_and_keeps_the_search(page, browser_login, assert_accessible):
    from portal.care.models import Client
    from portal.extensions import db

    counselor = make_user(email="casey@example.org", roles=(Role.COUNSELOR,), display_name="Casey")
    program = make_program(name="Evening IOP", counselors=[counselor])
    db.session.add_all(
        Client(program=program, full_name=f"River {i:03d}", enrollment_start=date(2026, 1, 5)) for i in range(120)
    )
    db.session.commit()
    browser_login(page, counselor.email)
    page.goto("/care/clients?q=river")
    assert_accessible(page)
    pages = page.get_by_role("navigation", name="Pages of clients")
    assert pages.locator("[aria-current=page]").inner_text().strip().endswith("1")
    pages.get_by_role("link", name="Next page").click()
    page.wait_for_url("**/care/clients?q=river&page=2")
    assert page.locator("tbody tr").count() == 50
    assert_accessible(page)
    page.get_by_role("navigation", name="Pages of clients").get_by_role("link", name="Page 3").click()
    page.wait_for_url("**/care/clients?q=river&page=3")
    assert page.locator("tbody tr").count() == 20
    assert page.locator("#q").input_value() == "river"
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "clients-page-3.png"), full_page=True)
