"""Rooms 2.0, the conversation (issue 12) in Chromium: keyboard path to the composer, the phone
layout, replies, support reactions and mentions seen live in a second window."""

from tests.e2e.test_rooms import people  # noqa: F401 - fixture


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


def test_reply_reaction_and_mention_are_seen_live_in_the_other_window(people, open_page, assert_accessible):  # noqa: F811
    alice, bea = open_page("alice@example.org"), open_page("bea@example.org")
    alice.locator("#online li", has_text="Bea").wait_for()
    bea.locator("#online li", has_text="Alice").wait_for()
    alice.fill("#composer-body", "Sunday was hard. How do you rest?")
    alice.keyboard.press("Enter")
    original = bea.locator("li.msg", has_text="Sunday was hard")
    original.wait_for()

    # Bea replies, mentioning Alice through the suggestions
    original.get_by_role("link", name="Reply").click()
    assert bea.locator("#composer-reply").is_visible()
    assert "In reply to Alice:" in bea.locator("#composer-reply-text").inner_text()
    assert bea.evaluate("document.activeElement.id") == "composer-body"
    bea.locator("#composer-body").press_sequentially("@Al")
    bea.get_by_role("button", name="@Alice").click()
    bea.locator("#composer-body").press_sequentially("a long walk helps me")
    bea.keyboard.press("Enter")

    reply = alice.locator("li.msg", has_text="a long walk helps me")
    reply.locator(".msg-reply", has_text="In reply to Alice:").wait_for()
    reply.locator(".msg-mention-note", has_text="Mentions you").wait_for()
    assert "Sunday was hard" in reply.locator(".msg-reply").inner_text()
    assert bea.locator("#composer-reply").is_hidden()

    # Alice reacts; Bea sees the count change live
    reply.get_by_role("button", name="Thank you").click()
    reply.locator("button.reaction[data-kind=thanks][aria-pressed=true]").wait_for()
    bea_reply = bea.locator("li.msg", has_text="a long walk helps me")
    bea_reply.locator("button.reaction[data-kind=thanks] .reaction-count", has_text="1").wait_for()
    assert bea_reply.locator("button.reaction[data-kind=thanks]").get_attribute("aria-pressed") == "false"
    assert_accessible(alice)
    assert_accessible(bea)

    # After a reload the server renders the same conversation
    alice.reload()
    reply = alice.locator("li.msg", has_text="a long walk helps me")
    reply.locator(".msg-reply", has_text="In reply to Alice:").wait_for()
    reply.locator("button.reaction[data-kind=thanks][aria-pressed=true]").wait_for()
    assert_accessible(alice)


def test_pins_search_and_the_reaction_page_pass_axe(people, open_page, assert_accessible):  # noqa: F811
    mod = open_page("mod@example.org")
    mod.locator("#online li").first.wait_for()
    mod.fill("#composer-body", "Resource: call or text 988 any time")
    mod.keyboard.press("Enter")
    message = mod.locator("li.msg", has_text="Resource: call or text 988")
    message.wait_for()
    message.get_by_role("link", name="Moderate, pin or react").click()
    assert_accessible(mod)
    family = open_page("alice@example.org")
    family.locator("#online li").first.wait_for()
    assert family.locator("#pins").is_hidden()
    mod.get_by_role("button", name="Pin to the top of the room").click()
    mod.locator("#pins li", has_text="Resource: call or text 988").wait_for()
    family.locator("#pins li", has_text="Resource: call or text 988").wait_for()  # live, by the pins event
    assert_accessible(family)
    assert_accessible(mod)
    mod.goto("/rooms/search?q=988")
    mod.locator(".search-results li", has_text="Resource").wait_for()
    assert_accessible(mod)
