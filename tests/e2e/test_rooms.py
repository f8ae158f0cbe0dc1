"""Rooms in a real browser: live chat between two people, moderation, reconnect, accessibility."""

import pytest

from portal.extensions import db
from portal.rooms.guidelines import VERSION
from portal.rooms.models import GuidelinesAcceptance, Message, Room
from portal.security import Role
from tests.factories import make_user


def _accepted(email, name, roles=(Role.FAMILY,)):
    user = make_user(email, display_name=name, roles=roles)
    db.session.add(GuidelinesAcceptance(user_id=user.id, version=VERSION))
    db.session.commit()
    return user


@pytest.fixture
def people(app):
    room = Room(
        slug="welcome",
        name="Welcome",
        kind="all_families",
        description="Say hello",
        description_html="<p>Say hello</p>",
    )
    db.session.add(room)
    db.session.commit()
    return {
        "alice": _accepted("alice@example.org", "Alice"),
        "bea": _accepted("bea@example.org", "Bea"),
        "mod": _accepted("mod@example.org", "Morgan", roles=(Role.MODERATOR,)),
    }


def _send(page, text):
    page.fill("#composer-body", text)
    page.keyboard.press("Enter")


def _wait_online(page):
    page.locator("#online li").first.wait_for()


def test_two_people_chat_live_and_a_moderator_hides_a_message(people, open_page):
    alice, bea = open_page("alice@example.org"), open_page("bea@example.org")
    _wait_online(alice)
    _wait_online(bea)
    _send(alice, "Hello from **Alice**")
    bea.locator(".msg-body", has_text="Hello from Alice").wait_for()
    assert bea.locator(".msg-body strong").inner_text() == "Alice"
    _send(bea, "Hi Alice, welcome")
    alice.locator(".msg-body", has_text="Hi Alice, welcome").wait_for()
    assert alice.locator(".msg-body", has_text="Hello from Alice").count() == 1

    bea.locator("li.msg", has_text="Hello from Alice").get_by_role("button", name="Flag").click()
    bea.fill("#flag-reason", "testing the queue")
    bea.get_by_role("button", name="Send to moderators").click()

    mod = open_page("mod@example.org", "/rooms/console")
    item = mod.locator(".queue-item", has_text="Hello from Alice")
    item.get_by_label("Action").select_option("hide")
    item.get_by_label("Reason (the person is told)").fill("Testing moderation")
    item.get_by_role("button", name="Apply").click()
    mod.wait_for_url("**/rooms/console")
    alice.locator(".msg-body", has_text="Hello from Alice").wait_for(state="detached")
    bea.locator(".msg-body", has_text="Hello from Alice").wait_for(state="detached")
    assert bea.locator(".msg-body", has_text="Hi Alice, welcome").count() == 1


def test_a_message_written_offline_is_sent_once_on_reconnect(people, open_page, app):
    alice, bea = open_page("alice@example.org"), open_page("bea@example.org")
    _wait_online(alice)
    _wait_online(bea)
    alice.context.set_offline(True)
    alice.locator("#connection").wait_for(state="visible")
    _send(alice, "Written while offline")
    alice.locator("li.pending", has_text="Written while offline").wait_for()
    stored = alice.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('fb-outbox:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).length)"
    )
    assert stored == [1]
    alice.context.set_offline(False)
    bea.locator(".msg-body", has_text="Written while offline").wait_for()
    alice.locator("li.msg[data-id]", has_text="Written while offline").wait_for()
    alice.locator("li.pending").wait_for(state="detached")
    assert alice.locator(".msg-body", has_text="Written while offline").count() == 1
    assert bea.locator(".msg-body", has_text="Written while offline").count() == 1
    assert (
        alice.evaluate(
            "JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.startsWith('fb-outbox:')))).length"
        )
        == 0
    )
    db.session.expire_all()
    assert db.session.query(Message).filter_by(body="Written while offline").count() == 1


def test_catch_up_after_reconnect_shows_missed_messages_in_order(people, open_page):
    alice, bea = open_page("alice@example.org"), open_page("bea@example.org")
    _wait_online(alice)
    _wait_online(bea)
    bea.context.set_offline(True)
    bea.locator("#connection").wait_for(state="visible")
    for n in range(3):
        _send(alice, f"missed {n}")
        alice.locator("li.msg[data-id]", has_text=f"missed {n}").wait_for()
    bea.context.set_offline(False)
    bea.locator(".msg-body", has_text="missed 2").wait_for()
    texts = bea.locator("li.msg[data-id] .msg-body").all_inner_texts()
    assert [t for t in texts if t.startswith("missed")] == ["missed 0", "missed 1", "missed 2"]


@pytest.mark.parametrize(
    "email, path",
    [
        ("alice@example.org", "/rooms/"),
        ("alice@example.org", "/rooms/welcome"),
        ("alice@example.org", "/rooms/guidelines"),
        ("mod@example.org", "/rooms/console"),
        ("mod@example.org", "/rooms/console/words"),
        ("mod@example.org", "/rooms/console/rooms"),
        ("mod@example.org", "/rooms/console/rooms/welcome"),
    ],
)
def test_room_pages_are_accessible(people, open_page, assert_accessible, email, path):
    page = open_page(email, path)
    if path == "/rooms/welcome":
        _wait_online(page)
    assert_accessible(page)


def test_edit_and_delete_own_message_reach_the_other_reader(people, open_page):
    alice, bea = open_page("alice@example.org"), open_page("bea@example.org")
    _wait_online(alice)
    _wait_online(bea)
    _send(alice, "Helo everyone")
    bea.locator(".msg-body", has_text="Helo everyone").wait_for()
    own = alice.locator("li.msg[data-id]", has_text="Helo everyone")
    own.get_by_role("button", name="Edit").click()
    alice.fill("#edit-body", "Hello everyone")
    alice.get_by_role("button", name="Save").click()
    bea.locator(".msg-body", has_text="Hello everyone").wait_for()
    assert bea.locator("li.msg", has_text="Hello everyone").locator(".msg-edited").count() == 1
    alice.once("dialog", lambda dialog: dialog.accept())
    alice.locator("li.msg[data-id]", has_text="Hello everyone").get_by_role("button", name="Delete").click()
    bea.locator(".msg-body", has_text="Hello everyone").wait_for(state="detached")


def _server_times(page):
    """{message id: the time text} as the server renders the room page (no script run)."""
    import re

    html = page.request.get("/rooms/welcome").text()
    found = re.findall(r'id="m-(\d+)".*?<time datetime="[^"]+">([^<]+)</time>', html, flags=re.S)
    return {int(message_id): text for message_id, text in found}


def test_history_and_live_messages_show_one_time_format_in_the_readers_zone(people, open_page):
    """History is rendered by the server (Babel), live messages by render.js (Intl): the same text
    for the same message, in the reader's language and time zone (Tokyo here, a day ahead of UTC)."""
    from datetime import UTC, datetime

    from portal.rooms.services import post_message

    people["alice"].timezone = "Asia/Tokyo"
    room = db.session.scalar(db.select(Room).filter_by(slug="welcome"))
    old = post_message(people["bea"], room, "From yesterday", "33333333-3333-4333-8333-333333333333", lambda _id: 0)
    db.session.get(Message, old.message.id).created_at = datetime(2026, 11, 30, 15, 14, tzinfo=UTC)
    db.session.commit()
    old_id = old.message.id
    alice = open_page("alice@example.org")
    _wait_online(alice)
    shown_old = alice.locator(f"#m-{old_id} time").inner_text()
    assert shown_old == "Dec 1, 2026, 12:14 AM"  # 15:14 UTC in Tokyo, a plain space before AM
    assert _server_times(alice)[old_id] == shown_old

    _send(alice, "Live hello")
    live = alice.locator("li.msg[data-id]", has_text="Live hello")  # acked, not pending
    live.wait_for()
    live_id = int(live.get_attribute("data-id"))
    shown_live = live.locator("time").inner_text()  # built by render.js
    assert _server_times(alice)[live_id] == shown_live  # the server's text for the same message
    assert "/" not in shown_live


def test_a_held_crisis_post_stays_in_its_authors_view_after_a_reload_until_released(
    people, open_page, assert_accessible
):
    """The author keeps seeing the post staff keep for a crisis — after a reload, with the support
    panel and its numbers — and it turns into an ordinary message when a moderator releases it;
    the other reader sees nothing of it until then, reload or not."""
    alice, bea = open_page("alice@example.org"), open_page("bea@example.org")
    _wait_online(alice)
    _wait_online(bea)
    _send(alice, "I don't want to live anymore")
    alice.locator("#support-dialog").wait_for(state="visible")
    alice.get_by_role("button", name="Close").click()
    alice.reload()
    held = alice.locator("#messages li.pending", has_text="live anymore")
    held.wait_for()
    assert "staff member" in held.locator(".pending-status").inner_text()
    panel = alice.locator("#support-panel")
    assert "1-800-662-4357" in panel.inner_text() and "A staff member will reach out" in panel.inner_text()
    assert_accessible(alice)
    bea.reload()
    _wait_online(bea)
    assert bea.locator("#messages", has_text="live anymore").count() == 0

    message = db.session.scalar(db.select(Message).filter_by(author_id=people["alice"].id))
    mod = open_page("mod@example.org", "/rooms/console")
    release = mod.locator(f"form[action$='/console/messages/{message.id}']").first
    release.locator("select").select_option("approve")
    release.get_by_role("button", name="Apply").click()
    alice.locator(f"#m-{message.id}", has_text="live anymore").wait_for()  # live, in place of the held item
    assert alice.locator("#messages li.pending").count() == 0
    bea.locator(f"#m-{message.id}", has_text="live anymore").wait_for()
