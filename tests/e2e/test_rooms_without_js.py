"""A room with JavaScript turned off: read, post through the plain form, see the message; a live
reader (JavaScript on) gets it over the socket. axe checks the pages the no-JavaScript visitor sees."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.rooms.models import Message
from tests.e2e.conftest import AXE_URL
from tests.e2e.test_rooms import _wait_online, people  # noqa: F401  (people: a fixture)


@pytest.fixture
def no_js_page(browser, live_server, browser_login):
    context = browser.new_context(
        base_url=live_server.base_url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def axe_as_seen(browser, live_server, assert_accessible):
    """axe on what the no-JavaScript page shows. axe itself needs timers, which do not run with
    JavaScript off, so the page's current DOM is served once to a helper tab that has JavaScript
    (for axe) but loads none of the portal's scripts: the same document, with CSS, unchanged."""
    context = browser.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844})
    helper = context.new_page()
    helper.set_default_timeout(10_000)

    def check(page):
        html, url = page.content(), page.url.split("#")[0]

        def serve(route):
            if route.request.url == url:
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            elif route.request.resource_type == "script" and not route.request.url.endswith(AXE_URL):
                route.abort()  # the portal's scripts; axe-core itself (AXE_URL) may load
            else:
                route.continue_()

        helper.route("**/*", serve)
        helper.goto(url)
        assert_accessible(helper)
        helper.unroute("**/*")

    yield check
    context.close()


@pytest.fixture
def live_reader(browser, live_server, browser_login):
    context = browser.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    browser_login(page, "bea@example.org")
    page.goto("/rooms/welcome")
    _wait_online(page)
    yield page
    context.close()


@pytest.mark.usefixtures("people")
def test_posting_without_javascript(no_js_page, live_reader, browser_login, axe_as_seen):
    page = no_js_page
    browser_login(page, "alice@example.org")
    page.goto("/rooms/welcome")
    assert page.locator("#composer").is_visible()
    # Live-only parts stay hidden (nobody would fill "Online now"), and the messages are not
    # shut in a scrolling box that only the script would move to the newest one.
    assert not page.locator("#online-heading").is_visible()
    assert not page.locator("#composer-count").is_visible()
    assert page.locator("#messages").evaluate("e => getComputedStyle(e).overflowY") == "visible"
    axe_as_seen(page)

    page.locator("#composer-body").fill("Hello without **JavaScript**")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**/rooms/welcome#m-*")
    page.locator(".flash", has_text="Your message is posted.").wait_for()
    assert page.locator(".msg-body strong", has_text="JavaScript").count() == 1
    assert page.locator("#composer-body").input_value() == ""
    live_reader.locator(".msg-body", has_text="Hello without JavaScript").wait_for()  # over the socket
    axe_as_seen(page)

    page.locator("#composer-body").fill("   ")
    page.get_by_role("button", name="Send").click()
    page.locator("#composer-error", has_text="Please write a message first.").wait_for()
    assert page.locator("#composer-body").get_attribute("aria-invalid") == "true"
    axe_as_seen(page)
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1


@pytest.mark.usefixtures("people")
def test_crisis_post_without_javascript_shows_the_support_panel(no_js_page, browser_login, axe_as_seen):
    page = no_js_page
    browser_login(page, "alice@example.org")
    page.goto("/rooms/welcome")
    page.locator("#composer-body").fill("I don't want to live anymore")
    page.get_by_role("button", name="Send").click()
    panel = page.locator("#support-panel")
    panel.wait_for()
    for number in ("911", "988", "1-800-662-4357"):
        assert panel.get_by_role("link", name=number).count() == 1
    axe_as_seen(page)
    page.reload()  # the author still sees their post, kept for staff, and the panel
    held = page.locator("#messages li.pending", has_text="live anymore")
    assert "staff member" in held.locator(".pending-status").inner_text()
    assert "A staff member will reach out" in page.locator("#support-panel").inner_text()
    axe_as_seen(page)
