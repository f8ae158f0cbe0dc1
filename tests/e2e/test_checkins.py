"""A private check-in in Chromium, live in three windows: a moderator started it; a counselor
writes, the member sees it arrive without reloading and answers; the moderator and the
counselor see the answer arrive. axe-core on the member's thread page."""

import pytest

from portal.extensions import db
from portal.rooms import checkins
from portal.security import Role
from tests.factories import make_user

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def thread_id(app):
    mod = make_user("mod@example.org", display_name="Morgan", roles=(Role.MODERATOR,))
    make_user("counselor@example.org", display_name="Casey", roles=(Role.COUNSELOR,))
    member = make_user("alice@example.org", display_name="Alice")
    thread, _notice = checkins.start(mod, member, "Checking in — are you safe right now?")
    thread_id = thread.id
    db.session.remove()  # the browser's server uses its own connections
    return thread_id


@pytest.fixture
def open_thread(open_page, thread_id):
    def open_as(email):
        page = open_page(email, f"/rooms/checkins/{thread_id}")
        page.evaluate("window.stayedOnPage = true")  # gone if the page were loaded again
        return page

    return open_as


def _answer(page, text):
    page.fill("#body", text)
    page.get_by_role("button", name="Send privately").click()
    page.wait_for_selector("text=Sent.")
    page.evaluate("window.stayedOnPage = true")  # the form reloaded the page; from now on it stays


def _arrives(page, text):
    """The post shows up in the open page, which was not reloaded (it came over the socket)."""
    page.locator("#checkin-posts .msg-body", has_text=text).wait_for()
    assert page.evaluate("window.stayedOnPage === true")


def test_staff_and_member_write_to_each_other_live(open_thread, assert_accessible):
    mod = open_thread("mod@example.org")
    alice = open_thread("alice@example.org")
    counselor = open_thread("counselor@example.org")

    _answer(counselor, "Casey here. We are thinking of you. " + XSS)
    _arrives(alice, "Casey here")
    assert "New message from Casey:" in alice.locator("#checkin-announcer").inner_text()
    assert alice.locator("#checkin-posts img").count() == 0  # the payload arrived as text
    assert alice.locator("#checkin-posts li", has_text="Casey here").locator(".msg-badge").inner_text() == "Staff"
    assert alice.locator("#checkin-posts li").count() == 2
    _arrives(mod, "Casey here")
    assert_accessible(alice)

    _answer(alice, "I'm safe, thank you for asking")
    _arrives(mod, "I'm safe")
    _arrives(counselor, "I'm safe")
    assert "New message from Alice:" in counselor.locator("#checkin-announcer").inner_text()
    assert alice.locator("#checkin-posts .msg-body", has_text="I'm safe").count() == 1
    assert_accessible(alice)
