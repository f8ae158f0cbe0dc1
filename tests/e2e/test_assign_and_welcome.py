"""Chromium journeys: a counselor assigns a lesson with the picker, the family member sees it,
does it, and the counselor sees completion (sharing on) and nothing (sharing off)."""

from portal.extensions import db
from portal.lessons import services
from portal.lessons.loader import load_curriculum
from portal.security import Role
from tests.e2e.conftest import screenshot
from tests.factories import link_family, make_client, make_user


def test_counselor_assigns_with_the_picker_and_sees_completion_only_when_shared(
    browser, live_server, page, browser_login, assert_accessible
):
    load_curriculum()
    counselor = make_user(email="casey@example.org", roles=(Role.COUNSELOR,), display_name="Casey")
    member = make_user(email="pat@example.org", display_name="Pat")
    sam = make_client(counselor=counselor, full_name="Sam Rivera")
    link_family(member, sam, witness=counselor)
    services.set_sharing(member, True)
    db.session.commit()

    browser_login(page, "casey@example.org")
    page.goto(f"/care/clients/{sam.id}")
    page.click("text=Assign lessons")
    page.wait_for_url(f"**/lessons/clients/{sam.id}/assign")
    assert_accessible(page)
    page.fill("#items-search", "why trust")
    assert page.locator("#items option:not([hidden])", has_text="Why trust breaks").count() == 1
    page.select_option("#items", value="why-trust-breaks")
    assert page.locator("#items-chosen a", has_text="Preview").count() == 1
    page.check(f"input[name=members][value='{member.id}']")
    page.fill("#note", "Have a look before Tuesday.")
    page.click("button:has-text('Assign'), input[value='Assign']")
    page.wait_for_load_state()
    assert "Not done yet" in page.inner_text("main")
    assert_accessible(page)

    family_context = browser.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844})
    family = family_context.new_page()
    browser_login(family, "pat@example.org")
    panel = family.locator("#from-your-counselor")
    assert "Have a look before Tuesday." in panel.inner_text()
    family.locator("#start-here a[href='#from-your-counselor']").click()  # a first visit points to it
    assert family.evaluate("location.hash") == "#from-your-counselor"
    assert family.locator("#notification-bell").get_attribute("aria-label") == "Notifications, 1 unread"
    assert_accessible(family)
    screenshot(family, "dashboard-assigned-lesson")

    # The notification centre says it too, and links to the lesson.
    family.locator("#notification-bell").click()
    family.wait_for_url("**/notifications/")
    (item,) = family.locator("main .notice-item").all()
    text = item.inner_text()
    assert "From your counselor" in text and "Your counselor suggested “Why trust breaks”." in text
    assert "Have a look before Tuesday." in text and "New" in text
    assert family.locator("#notification-bell").get_attribute("aria-label") == "Notifications, none unread"
    assert_accessible(family)
    screenshot(family, "notification-centre-assigned-lesson")
    item.get_by_role("link", name="Your counselor suggested “Why trust breaks”.").click()
    family.wait_for_url("**/lessons/read/why-trust-breaks")
    family.goto("/dashboard")
    panel.locator("a", has_text="Why trust breaks").click()
    family.wait_for_url("**/lessons/read/why-trust-breaks")
    family.click("text=Mark this lesson complete")
    family.wait_for_load_state()
    family.goto("/dashboard")
    assert "Done" in family.locator("#from-your-counselor").inner_text()
    family_context.close()

    page.reload()
    assert "Done" in page.locator(".assign-state").first.inner_text()

    services.set_sharing(member, False)
    db.session.commit()
    page.reload()
    main = page.inner_text("main")
    assert page.locator(".assign-state").count() == 0 and "does not share lesson progress" in main
    assert_accessible(page)


def test_first_visit_welcome_then_role_then_first_lesson(page, browser_login, assert_accessible):
    load_curriculum()
    make_user(email="new@example.org", display_name="Alex")
    browser_login(page, "new@example.org")
    welcome = page.locator("#start-here")
    assert "Your counselor sees nothing private" in welcome.inner_text()
    assert_accessible(page)
    welcome.locator("button", has_text="Choose my role").click()
    page.wait_for_url("**/lessons/**")
    assert_accessible(page)
    page.select_option("#family_role", index=1)
    page.click("text=Show my path")
    page.wait_for_url("**/lessons/**")
    start = page.locator("#recommended-path a.button").first
    title = start.inner_text()
    assert title.startswith(("Start:", "Continue:"))
    start.click()
    page.wait_for_url("**/lessons/read/**")
    assert title.split(":", 1)[1].strip() in page.inner_text("h1")
    page.goto("/dashboard")
    assert page.locator("#start-here").count() == 0
    page.click("text=Open the welcome")
    page.wait_for_url("**/welcome")
    assert_accessible(page)
