"""The notice centre in Chromium, with axe-core on each of its pages.

A counselor moves a session; the family member (reading in Chicago time) sees the bell count,
one notice with the new time, and one email as their preference says. Switched to the daily
digest, two more changes give no email until the digest, which is one email for both. The
email's preference link works without signing in.
"""

import re
from datetime import time

from portal.calendar.schedule import occurrences_of
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import send_digests
from portal.security import Role
from tests.calendar.conftest import make_series
from tests.e2e.conftest import screenshot as _shot
from tests.factories import link_family, make_client, make_program, make_user
from tests.mail.conftest import smtp  # noqa: F401 — the real SMTP server on loopback


def _people():
    counselor = make_user(email="counselor@example.org", roles=(Role.COUNSELOR,), display_name="Casey")
    program = make_program(name="Evening IOP", counselors=[counselor])
    client = make_client(program=program, full_name="Sam Rivera", counselor=counselor)
    family = make_user(email="family@example.org", display_name="Jordan", timezone="America/Chicago")
    link_family(family, client, witness=counselor)
    series = make_series(counselor, client=client, at=time(18, 0), notify=False)
    keys = [o.key for o in occurrences_of(series)]
    ids = (series.id, family.id)
    db.session.remove()  # the browser's server uses its own connections
    return ids, keys


def _move(page, series_id, key, new_time):
    page.goto(f"/calendar/manage/{series_id}/{key}")
    page.fill("#new_time", new_time)
    page.click("#save")
    page.wait_for_selector("text=The session is changed")


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")


def _to(server, email):
    """What the SMTP server received for `email`, after a delivery of the mail queue."""
    return [m for m in server.delivered() if m["To"] == email]


def test_a_moved_session_reaches_the_family_once_in_the_portal_and_by_email_then_by_digest(
    page,
    live_server,
    browser_login,
    assert_accessible,
    smtp,  # noqa: F811
):
    (series_id, family_id), keys = _people()
    browser_login(page, "counselor@example.org")
    _move(page, series_id, keys[1], "19:30")
    _sign_out(page)

    browser_login(page, "family@example.org")
    bell = page.locator("#notification-bell")
    assert bell.get_attribute("aria-label") == "Notifications, 1 unread"
    assert_accessible(page)
    _shot(page, "dashboard-bell")
    bell.click()
    page.wait_for_url("**/notifications/")
    items = page.locator("main .notice-item")
    assert items.count() == 1
    text = items.first.inner_text()
    assert "has moved to" in text and "6:30 PM" in text and "America/Chicago" in text  # 19:30 New York
    assert "It was planned for" in text and "5:00 PM" in text
    assert_accessible(page)
    _shot(page, "notifications-list")
    page.reload()
    assert page.locator("#notification-bell").get_attribute("aria-label") == "Notifications, none unread"

    (email,) = _to(smtp, "family@example.org")
    assert email["Subject"] == "Family session: a change"
    assert "6:30 PM" in email.get_content() and "Sam" not in email.get_content()

    # Digest mode: two more changes, no email until the digest, then one for both.
    page.get_by_role("link", name="Choose which notices also arrive by email").click()
    page.wait_for_url("**/notifications/preferences")
    assert_accessible(page)
    page.select_option("#topic_sessions", "digest")
    page.get_by_role("button", name="Save choices").click()
    page.wait_for_selector("text=Your notification choices are saved.")
    assert_accessible(page)
    _shot(page, "notification-preferences")
    _sign_out(page)

    browser_login(page, "counselor@example.org")
    _move(page, series_id, keys[2], "17:00")
    _move(page, series_id, keys[3], "20:00")
    _sign_out(page)
    assert len(_to(smtp, "family@example.org")) == 1
    assert db.session.query(Notification).filter_by(user_id=family_id).count() == 3
    assert send_digests() == 1
    assert send_digests() == 0
    db.session.remove()
    digest = _to(smtp, "family@example.org")[-1]
    assert digest["Subject"] == "Family Bridge: 2 new notices"
    body = digest.get_content()
    assert "4:00 PM" in body and "7:00 PM" in body and "Sam" not in body

    # The preference link from the email, in a browser that is not signed in.
    link = re.search(r"(http\S+/notifications/unsubscribe/\S+)", body).group(1)
    page.goto(link)
    assert_accessible(page)
    _shot(page, "unsubscribe")
    page.get_by_role("button", name="Turn off these emails").click()
    page.wait_for_selector("text=you will no longer receive these emails")
    assert_accessible(page)


def test_the_bell_and_the_centre_work_without_javascript(browser, live_server, browser_login):
    """With scripts off the page is the same: the bell counts on every full page load, the list
    shows the notice and, once seen, the bell says none."""
    (series_id, family_id), keys = _people()
    from portal.auth.models import User
    from portal.calendar.models import SessionSeries
    from portal.calendar.services import cancel_one

    series = db.session.get(SessionSeries, series_id)
    counselor = db.session.scalar(db.select(User).filter_by(email="counselor@example.org"))
    cancel_one(counselor, series, occurrences_of(series)[1].original_start, "Holiday")
    db.session.remove()

    context = browser.new_context(
        base_url=live_server.base_url, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    browser_login(page, "family@example.org")
    assert page.locator("#notification-bell").get_attribute("aria-label") == "Notifications, 1 unread"
    page.goto("/calendar/")
    assert page.locator("#notification-bell .bell-count").inner_text() == "1"
    page.locator("#notification-bell").click()
    page.wait_for_url("**/notifications/")
    assert "is cancelled" in page.locator("main .notice-item").inner_text()
    assert page.locator("#notification-bell").get_attribute("aria-label") == "Notifications, none unread"
    page.goto("/dashboard")
    assert page.locator("#notification-bell .bell-count").is_hidden()
    context.close()
