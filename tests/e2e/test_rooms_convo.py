"""Rooms 2.0, the conversation (issue 12) in Chromium: keyboard path to the composer, the phone
layout, replies, support reactions and mentions seen live in a second window."""

import pytest

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
