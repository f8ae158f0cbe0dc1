"""Rooms safety in Chromium: a crisis post held → the on-call email in the outbox → a moderator
releases it; ban → appeal → lift; axe on every new page and state (held post, ban page, appeal,
crisis item, appeals queue, ban list, on-call lists, private check-in)."""

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.rooms.models import CheckIn, OnCall, RoomRestriction
from tests.e2e import test_rooms as rooms_e2e

# The rooms journeys' fixtures: three people in a "welcome" room, and a page per person.
people = rooms_e2e.people

CRISIS = "I don't want to live anymore"


def _send(page, text):
    page.fill("#composer-body", text)
    page.keyboard.press("Enter")


def test_crisis_post_is_held_the_on_call_person_is_emailed_and_a_moderator_releases_it(
    people, open_page, outbox, assert_accessible
):
    db.session.add(OnCall(user_id=people["mod"].id, program_id=None))
    db.session.commit()
    alice, bea = open_page("alice@example.org"), open_page("bea@example.org")
    bea.locator("#online li").first.wait_for()
    alice.locator("#online li").first.wait_for()
    _send(alice, CRISIS)
    alice.locator("#support-dialog").wait_for(state="visible")
    alice.locator("#support-held-note").wait_for(state="visible")  # held for staff: someone will reach out
    assert_accessible(alice)  # the support dialog over the room
    alice.get_by_role("button", name="Close").click()
    held = alice.locator("#messages li.pending", has_text="live anymore")
    held.wait_for()
    assert "staff" in held.locator(".pending-status").inner_text()
    assert_accessible(alice)  # the held post, shown to its author only
    assert bea.locator(".msg-body", has_text="live anymore").count() == 0

    [mail] = outbox()
    assert mail["To"] == "mod@example.org"
    link = re.search(r"http://\S+/rooms/console/crisis/\d+", mail.get_body(("plain",)).get_content()).group(0)
    assert "live anymore" not in mail.get_body(("plain",)).get_content()

    mod = open_page("mod@example.org", "/rooms/console")
    mod.goto(link)
    assert mod.get_by_text("Not handled yet").count() == 1
    assert_accessible(mod)
    mod.get_by_role("button", name="Apply").click()  # "Release" is the default for a held crisis post
    bea.locator(".msg-body", has_text="live anymore").wait_for()
    mod.goto("/rooms/console/on-call")
    assert_accessible(mod)
    mod.goto("/rooms/console")
    assert_accessible(mod)


def test_ban_appeal_and_lift(app, people, open_page, assert_accessible):
    from portal.rooms import moderation
    from portal.rooms.models import Room

    room = db.session.scalar(sa.select(Room))
    mod = open_page("mod@example.org", "/rooms/console")
    with app.test_request_context():
        moderation.restrict_user(people["mod"], people["alice"], room, "ban", "repeated unkind words")
    alice = open_page("alice@example.org", "/rooms/")
    assert alice.locator('a[href="/rooms/welcome"]').count() == 0
    alice.goto("/rooms/welcome")
    assert "repeated unkind words" in alice.locator("main").inner_text()
    assert_accessible(alice)
    alice.get_by_role("link", name="Send an appeal").click()
    assert_accessible(alice)
    alice.fill("textarea", "I was quoting what someone said to me, <b>not</b> attacking anyone.")
    alice.get_by_role("button", name="Send my appeal").click()
    alice.get_by_text("Your appeal was sent").first.wait_for()
    assert_accessible(alice)

    mod.goto("/rooms/console/appeals")
    assert "I was quoting" in mod.locator("main").inner_text()
    assert_accessible(mod)
    mod.get_by_label("Decision").select_option("lift")
    mod.get_by_role("button", name="Decide").click()
    mod.get_by_text("No appeals are waiting").wait_for()
    db.session.expire_all()
    assert db.session.scalar(sa.select(RoomRestriction.lifted_at)) is not None
    mod.goto("/rooms/console/rooms/welcome/sanctions")
    assert_accessible(mod)
    alice.goto("/rooms/")
    assert alice.locator('a[href="/rooms/welcome"]').count() == 1


def test_private_check_in_pages_are_accessible(people, open_page, assert_accessible):
    alice = open_page("alice@example.org")
    alice.locator("#online li").first.wait_for()
    _send(alice, "a hard evening")
    alice.locator(".msg-body", has_text="a hard evening").wait_for()
    mod = open_page("mod@example.org", "/rooms/welcome")
    message_id = mod.locator("li.msg", has_text="a hard evening").get_attribute("data-id")
    mod.goto(f"/rooms/console/checkins/new/{message_id}")
    assert_accessible(mod)
    mod.get_by_role("button", name="Send privately").click()
    mod.get_by_text("Sent privately").wait_for()
    thread_id = db.session.scalar(sa.select(CheckIn.id))
    alice.goto("/rooms/")
    alice.get_by_role("link", name=re.compile("private conversation")).click()
    assert_accessible(alice)
    alice.goto(f"/rooms/checkins/{thread_id}")
    assert "are you safe right now" in alice.locator("main").inner_text()
    assert_accessible(alice)
    alice.fill("textarea", "Yes, thank you for asking")
    alice.get_by_role("button", name="Send privately").click()
    alice.get_by_text("Yes, thank you for asking").wait_for()


def test_a_member_on_a_room_page_is_told_a_staff_member_wrote_privately_and_follows_the_link(
    people, open_page, assert_accessible
):
    """A staff post in a private check-in used to show live only on the thread page: a member
    reading a room heard nothing. Now the bell counts it, its status region reads it out and the
    room page shows a link to the thread, without a reload."""
    from portal.rooms import checkins

    thread, _notice = checkins.start(people["mod"], people["alice"], "Checking in — are you safe right now?")
    thread_id = thread.id
    db.session.remove()  # the browser's server uses its own connections
    alice = open_page("alice@example.org")
    alice.locator("#online li").first.wait_for()
    alice.evaluate("window.stayedOnPage = true")
    mod = open_page("mod@example.org", f"/rooms/checkins/{thread_id}")
    mod.fill("#body", "Would a call tomorrow help?")
    mod.get_by_role("button", name="Send privately").click()
    mod.wait_for_selector("text=Sent.")
    link = alice.locator("#staff-note-link")
    link.wait_for(state="visible")
    assert alice.evaluate("window.stayedOnPage === true")  # it came live, not by a reload
    assert "wrote to you privately" in link.inner_text()
    assert "wrote to you privately" in alice.locator("#notification-live").inner_text()
    assert alice.locator("#notification-bell .bell-count").inner_text() == "2"
    assert_accessible(alice)
    link.click()
    alice.locator("#checkin-posts .msg-body", has_text="Would a call tomorrow help?").wait_for()


def test_a_moderator_bans_from_the_messages_menu_in_the_room_and_sees_the_authors_history(
    people, open_page, assert_accessible
):
    alice = open_page("alice@example.org")
    alice.locator("#online li").first.wait_for()
    _send(alice, "You are all useless")
    mod = open_page("mod@example.org")
    message = mod.locator("li.msg", has_text="You are all useless")
    message.wait_for()
    message.get_by_role("link", name="Moderate, pin or react").click()
    history = mod.locator("section", has=mod.get_by_role("heading", name="Alice's history"))
    assert "You are all useless" in history.inner_text()
    assert_accessible(mod)
    mod.get_by_label("Action", exact=True).select_option("ban")
    mod.get_by_label("Reason (the person is told)").fill("Unkind words to the group")
    mod.get_by_role("button", name="Apply").click()
    mod.wait_for_url("**/rooms/welcome")  # back in the room it was done from
    mod.get_by_text("Done: Ban the author from this room.").wait_for()
    db.session.expire_all()
    ban = db.session.scalar(sa.select(RoomRestriction).filter_by(user_id=people["alice"].id))
    assert ban.kind == "ban" and ban.reason == "Unkind words to the group"
    alice.goto("/rooms/welcome")
    assert "Unkind words to the group" in alice.locator("main").inner_text()
