"""Rooms 2.0, the conversation (issue 12) in Chromium: keyboard path to the composer, the phone
layout, replies, support reactions and mentions seen live in a second window."""

from tests.e2e.test_rooms import open_page, people  # noqa: F401 - fixtures


def test_two_tabs_and_enter_reach_the_message_box(people, open_page):  # noqa: F811
    page = open_page("alice@example.org")
    page.locator("#online li").first.wait_for()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the message box"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "composer-body"


def test_phone_layout_fills_the_screen_with_the_composer_at_the_bottom(people, open_page, assert_accessible, tmp_path):  # noqa: F811
    page = open_page("alice@example.org")
    page.locator("#online li").first.wait_for()
    for n in range(3):
        page.fill("#composer-body", f"Hello number {n}")
        page.keyboard.press("Enter")
        page.locator(".msg-body", has_text=f"Hello number {n}").wait_for()
    viewport = page.viewport_size
    box = page.locator("#composer").bounding_box()
    messages = page.locator("#messages").bounding_box()
    assert viewport["height"] - (box["y"] + box["height"]) < 24, "the composer is not at the bottom of the screen"
    assert messages["height"] > viewport["height"] * 0.5, "the messages do not fill the screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    help_link = page.get_by_role("link", name="Need help now?")
    assert help_link.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "room-390.png"))
    help_link.click()
    assert page.locator("#crisis-heading").is_visible()
    assert page.locator(".site-footer a[href='tel:988']").is_visible()
    assert_accessible(page)


def test_desktop_keeps_the_flowing_layout(people, open_page):  # noqa: F811
    page = open_page("alice@example.org")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#online li").first.wait_for()
    assert not page.get_by_role("link", name="Need help now?").is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.room-layout')).display") == "grid"


SCREENSHOTS = __import__("pathlib").Path(__import__("tempfile").gettempdir()) / "rooms-convo-shots"
SCREENSHOTS.mkdir(exist_ok=True)
