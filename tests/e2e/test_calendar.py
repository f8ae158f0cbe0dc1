"""The family-session journey in Chromium, with axe-core on every calendar page.

A counselor posts a weekly series (preview first), cancels one date and moves another; the linked
family member sees the same schedule in the portal, in the feed (parsed by icalendar and
recurring-ical-events) and in a reminder email; an unlinked family member sees none of it.
"""

import os
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import recurring_ical_events
from icalendar import Calendar

from portal.calendar.models import SessionSeries
from portal.calendar.reminders import send_due
from portal.calendar.schedule import occurrences_of
from portal.clock import utcnow
from portal.extensions import db
from portal.security import Role
from tests.factories import link_family, make_client, make_program, make_user


def _shot(page, name):
    """Save a full-page screenshot when CALENDAR_SCREENSHOTS names a folder (for looking by hand)."""
    folder = os.environ.get("CALENDAR_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _next_tuesday():
    day = date.today() + timedelta(days=1)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return day


def _people():
    counselor = make_user(email="counselor@example.org", roles=(Role.COUNSELOR,), display_name="Casey")
    program = make_program(name="Evening IOP", counselors=[counselor])
    client = make_client(program=program, full_name="Sam Rivera", counselor=counselor)
    family = make_user(email="family@example.org", display_name="Jordan")
    link_family(family, client, witness=counselor)
    make_user(email="family2@example.org", display_name="Alex")
    client_id = client.id
    db.session.remove()  # the browser's server uses its own connections
    return client_id


def _counselor_posts_series(page, assert_accessible, client_id):
    page.goto("/calendar/manage")
    assert_accessible(page)
    page.get_by_role("link", name="Plan a family session").click()
    page.wait_for_url("**/calendar/manage/new")
    assert_accessible(page)
    page.select_option("#audience", f"client:{client_id}")
    page.fill("#start_date", _next_tuesday().isoformat())
    page.fill("#start_time", "18:00")
    page.fill("#end_time", "19:00")
    page.check("#mode-1")
    page.fill("#join_url", "https://video.example.org/family")
    page.select_option("#repeat", "weekly")
    page.fill("#count", "6")
    page.click("#preview")
    page.wait_for_selector("[data-testid=preview]")
    assert page.locator("[data-testid=preview] li").count() == 6
    assert_accessible(page)
    _shot(page, "counselor-preview")
    page.click("#save")
    page.wait_for_selector("text=The sessions are posted")
    assert_accessible(page)


def _counselor_cancels_and_moves(page, assert_accessible):
    dates = page.locator("main ol.cal-items li a")
    assert dates.count() == 6
    dates.nth(1).click()
    assert_accessible(page)
    page.fill("#reason", "The counselor is away that week")
    page.click("#cancel")
    page.wait_for_selector("text=The session is cancelled")
    page.locator("main > p > a").first.click()  # back to the series
    page.locator("main ol.cal-items li a").nth(3).click()
    moved_day = page.input_value("#new_date")
    new_day = (date.fromisoformat(moved_day) + timedelta(days=1)).isoformat()
    page.fill("#new_date", new_day)
    page.fill("#new_time", "19:30")
    page.click("#save")
    page.wait_for_selector("text=The session is changed")
    assert_accessible(page)
    _shot(page, "counselor-occurrence")
    page.get_by_role("link", name="Change the time, place or details from this date on").click()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("link", name="Change all sessions").click()
    assert_accessible(page)
    return new_day


def _portal_schedule(app):
    series = db.session.scalar(db.select(SessionSeries))
    occurrences = occurrences_of(series)
    for o in occurrences:  # load what the test reads later, then let go of the session
        _ = (o.series.zone, o.series.timezone)
    series_id = series.id
    db.session.expunge_all()
    return series_id, occurrences


def test_calendar_journey(app, live_server, browser, page, browser_login, assert_accessible):
    client_id = _people()
    browser_login(page, "counselor@example.org")
    page.goto("/dashboard")
    assert page.locator("text=Today's family sessions").count() == 1
    _counselor_posts_series(page, assert_accessible, client_id)
    new_day = _counselor_cancels_and_moves(page, assert_accessible)
    series_id, occurrences = _portal_schedule(app)
    active = [o for o in occurrences if not o.cancelled]
    assert len(active) == 5 and occurrences[3].moved and occurrences[1].cancelled

    family_context = browser.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844})
    family_page = family_context.new_page()
    browser_login(family_page, "family@example.org")
    assert family_page.locator("text=Next session:").count() == 1
    family_page.goto("/calendar/")
    assert_accessible(family_page)
    _shot(family_page, "family-agenda")
    agenda = family_page.locator("main").inner_text()
    assert family_page.locator(".cal-item").count() == 6 and "Cancelled" in agenda and "New time" in agenda
    assert "7:30 PM" in agenda
    family_page.goto("/calendar/month?month=" + occurrences[0].local_start.strftime("%Y-%m"))
    assert_accessible(family_page)
    assert family_page.locator("table.cal-month caption").count() == 1
    grid_links = family_page.locator("table.cal-month td a")
    grid_links.first.focus()
    family_page.keyboard.press("ArrowRight")
    assert grid_links.nth(1).evaluate("el => el === document.activeElement")
    _shot(family_page, "family-month")
    family_page.goto(f"/calendar/session/{series_id}/{occurrences[0].key}")
    assert_accessible(family_page)
    assert family_page.locator("text=Join the video session").count() == 1
    family_page.check("#response-0")
    family_page.click("#submit")
    family_page.wait_for_selector("text=You said you are going.")
    assert_accessible(family_page)
    _shot(family_page, "family-occurrence")
    family_page.goto(f"/calendar/session/{series_id}/{occurrences[1].key}")
    assert family_page.locator("text=This session is cancelled.").count() == 1
    assert_accessible(family_page)
    family_page.goto("/calendar/notifications")
    assert_accessible(family_page)
    assert family_page.locator("text=A session was cancelled.").count() == 1
    family_page.goto("/calendar/subscribe")
    assert_accessible(family_page)
    assert family_page.locator("[data-copy-target]").is_visible()
    family_context.grant_permissions(["clipboard-read", "clipboard-write"])
    family_page.click("[data-copy-target]")
    family_page.wait_for_selector(".cal-copy-status:has-text('Copied')")
    assert family_page.evaluate("navigator.clipboard.readText()") == family_page.input_value("#feed-url")
    _shot(family_page, "family-subscribe")
    feed_url = family_page.input_value("#feed-url")
    ics = family_page.request.get(feed_url)
    assert ics.status == 200
    cal = Calendar.from_ical(ics.body())
    events = recurring_ical_events.of(cal).between(utcnow() - timedelta(days=1), utcnow() + timedelta(days=120))
    assert sorted(e.decoded("dtstart") for e in events) == sorted(o.start for o in active)
    assert any(
        e.decoded("dtstart").astimezone(occurrences[0].series.zone).date().isoformat() == new_day for e in events
    )
    for word in ("addiction", "IOP", "treatment", "Sam"):
        assert word.lower() not in ics.text().lower()
    family_context.close()

    sent = send_due(now=occurrences[0].start - timedelta(hours=23))
    assert sent == 1
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    ]
    reminder = [m for m in mails if m["Subject"] == "Reminder: Family session"]
    assert len(reminder) == 1 and reminder[0]["To"] == "family@example.org"
    body = reminder[0].get_content()
    assert "6:00 PM" in body and "video.example.org" not in body and "/calendar/session/" in body
    db.session.remove()

    stranger_context = browser.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844})
    stranger_page = stranger_context.new_page()
    browser_login(stranger_page, "family2@example.org")
    stranger_page.goto("/calendar/")
    assert "There are no family sessions" in stranger_page.locator("main").inner_text()
    assert_accessible(stranger_page)
    response = stranger_page.goto(f"/calendar/session/{series_id}/{occurrences[0].key}")
    assert response.status == 404
    stranger_page.goto("/calendar/month")
    assert stranger_page.locator("table.cal-month a").count() == 0
    stranger_feed = stranger_page.request.get(
        stranger_page.goto("/calendar/subscribe") and stranger_page.input_value("#feed-url")
    )
    assert b"BEGIN:VEVENT" not in stranger_feed.body()
    stranger_context.close()
