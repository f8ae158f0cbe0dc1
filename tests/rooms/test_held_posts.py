"""Held posts (a crisis phrase, a hold word, a newcomer's first posts): their author sees them —
live, after a reload, in the socket `join` catch-up and on the page without JavaScript — with the
support panel when staff keep them for a crisis; every other member sees nothing of them, in any
path, until a moderator releases them. Mentions in a held post notify no one until its release,
and then exactly once, however many moderators press "approve" at the same time."""

import re
import threading

import pytest
import sqlalchemy as sa

from portal.auth.models import User
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import Notification
from portal.rooms import conversation, moderation
from portal.rooms.convo_models import Mention
from portal.rooms.errors import RoomError
from portal.rooms.models import Message, MessageStatus, ModerationAction
from portal.security import Role
from tests.rooms.conftest import ack, member, new_id, payloads, received
from tests.rooms.test_form_posting import SUPPORT_NUMBERS, Person, page_of
from tests.support.races import overlap

CRISIS = "I don't want to live anymore"
STAFF_NOTE = "A staff member will reach out to you soon"
XSS = "<img src=x onerror=alert(1)>"
HELD_ITEM = re.compile(r'<li class="msg msg-own pending held"[^>]*data-client-id="([^"]+)".*?</li>', re.S)


def support_panel(page):
    """The support panel's HTML on a room page (AssertionError when there is none)."""
    start = page.index('id="support-panel"')
    return page[start : page.index("</section>", start)]


def held_items(page):
    """The author's own held posts on a room page: {client_id: the item's HTML}."""
    return {m.group(1): m.group(0) for m in HELD_ITEM.finditer(page)}


def send(sock, body, room="welcome"):
    return ack(sock, "send", {"room": room, "body": body, "client_id": new_id()})


# --- the author's view -------------------------------------------------------------------------


def test_the_author_sees_a_crisis_post_with_the_support_panel_after_every_reload(app, chat, welcome):
    author = member(display_name="Sam")
    sock = chat.connect(author)
    reply = send(sock, CRISIS + " " + XSS)
    assert reply["error"] == "held_for_review" and reply["crisis"] is True and STAFF_NOTE in reply["message"]
    live = {e["name"]: e["args"][0] for e in received(sock)}
    assert live["support"]["resources"] and live["held"]["crisis"] is True

    for _reload in range(2):
        page = page_of(sock.http.get("/rooms/welcome"))
        [item] = held_items(page).values()
        assert reply["client_id"] in item and "live anymore" in item
        assert "Kept for a staff member, who will reach out to you soon" in item
        assert "<img src=x" not in page  # the body only as sanitized HTML
        panel = support_panel(page)
        assert all(number in panel for number in SUPPORT_NUMBERS) and STAFF_NOTE in panel
        assert 'role="alert"' not in panel  # announced when posted, not again at every reload
        assert f'id="m-{reply["id"]}"' not in page  # not among the room's messages


def test_the_authors_join_catch_up_brings_back_their_held_posts_and_only_theirs(app, chat, welcome):
    author, other = member(display_name="Sam"), member(display_name="Bea")
    crisis = send(chat.connect(author), CRISIS)
    newcomer = member(display_name="New", established=False)
    waiting = send(chat.connect(newcomer), "Hello, I am new here")
    assert waiting["error"] == "held_for_review" and "crisis" not in waiting
    send(chat.connect(other), "A visible hello")

    again = chat.connect(author)  # a reload, another device, a reconnect
    for after_id in (None, 0, crisis["id"], 10**9):
        joined = ack(again, "join", {"room": "welcome", "after_id": after_id})
        assert joined["ok"] and crisis["id"] not in [m["id"] for m in joined["messages"]]  # the contract's list
        [held] = payloads(again, "held")
        assert (held["id"], held["client_id"], held["crisis"]) == (crisis["id"], crisis["client_id"], True)
        assert held["author"]["id"] == author.id and "live anymore" in held["body_html"]
    new_sock = chat.connect(newcomer)
    assert payloads(new_sock, "held") == []  # told on joining the room, not on connecting
    ack(new_sock, "join", {"room": "welcome"})
    [held] = payloads(new_sock, "held")
    assert held["id"] == waiting["id"] and "crisis" not in held
    page = page_of(Person(app, newcomer).http.get("/rooms/welcome"))
    assert "Waiting for a moderator's review" in page and 'id="support-panel"' not in page


def test_the_page_without_javascript_shows_the_authors_crisis_post_until_released(app, chat, welcome):
    author, moderator = member(display_name="Sam"), member(display_name="Mo", roles=(Role.MODERATOR,))
    person = Person(app, author)
    assert person.post(CRISIS).status_code == 302
    first = page_of(person.http.get("/rooms/welcome"))
    assert 'role="alert"' in support_panel(first)  # right after the post: announced once
    [message] = db.session.scalars(sa.select(Message)).all()
    for page in (first, page_of(person.http.get("/rooms/welcome"))):
        assert message.client_id in held_items(page) and STAFF_NOTE in support_panel(page)

    staff = Person(app, moderator)
    staff.auth.post(f"/rooms/console/messages/{message.id}", {"action": "approve"}, page="/rooms/console")
    released = page_of(person.http.get("/rooms/welcome"))
    assert held_items(released) == {} and 'id="support-panel"' not in released
    assert f'id="m-{message.id}"' in released


def test_a_hidden_held_post_leaves_the_authors_view(app, chat, welcome):
    author, moderator = member(display_name="Sam"), member(display_name="Mo", roles=(Role.MODERATOR,))
    sock = chat.connect(author)
    reply = send(sock, CRISIS)
    staff = Person(app, moderator)
    staff.auth.post(
        f"/rooms/console/messages/{reply['id']}", {"action": "hide", "reason": "Checked in"}, page="/rooms/console"
    )
    page = page_of(sock.http.get("/rooms/welcome"))
    assert held_items(page) == {} and 'id="support-panel"' not in page
    received(sock)
    ack(sock, "join", {"room": "welcome"})
    assert payloads(sock, "held") == []


# --- everyone else -----------------------------------------------------------------------------


def test_other_members_never_see_a_held_post_until_it_is_released(app, chat, welcome):
    author, reader = member(display_name="Sam"), member(display_name="Bea")
    moderator = member(display_name="Mo", roles=(Role.MODERATOR,))
    r = chat.connect(reader)
    ack(r, "join", {"room": "welcome"})
    reply = send(chat.connect(author), CRISIS)

    def seen_by_reader():
        places = {
            "live": [m["id"] for m in payloads(r, "message")] + [m["id"] for m in payloads(r, "held")],
            "join": [m["id"] for m in ack(r, "join", {"room": "welcome"})["messages"]],
            "catch-up": [m["id"] for m in ack(r, "join", {"room": "welcome", "after_id": 0})["messages"]],
            "history": [m["id"] for m in ack(r, "history", {"room": "welcome", "before_id": 10**9})["messages"]],
        }
        page = page_of(r.http.get("/rooms/welcome"))
        places["page"] = [reply["id"]] if "live anymore" in page or held_items(page) else []
        search = page_of(r.http.get("/rooms/search?q=live+anymore"))
        places["search"] = [reply["id"]] if f"#m-{reply['id']}" in search else []
        received(r)
        return {where for where, ids in places.items() if reply["id"] in ids}

    assert seen_by_reader() == set()
    assert ack(r, "context", {"room": "welcome", "ids": [reply["id"]]})["items"] == []
    Person(app, moderator).auth.post(
        f"/rooms/console/messages/{reply['id']}", {"action": "approve"}, page="/rooms/console"
    )
    assert [m["id"] for m in payloads(r, "message")] == [reply["id"]]
    assert seen_by_reader() == {"join", "catch-up", "history", "page", "search"}
    assert db.session.get(Message, reply["id"]).status == MessageStatus.VISIBLE


# --- mentions in a held post -------------------------------------------------------------------


def mention_notices(user=None):
    query = sa.select(Notification.user_id).filter_by(kind="mention")
    return db.session.scalars(query if user is None else query.filter_by(user_id=user.id)).all()


def held_mention(chat, body="@Bea Lopez thank you for listening", established=False):
    """A newcomer's post (held for review) that names Bea, who has been in the room."""
    bea = member(display_name="Bea Lopez")
    b = chat.connect(bea)
    ack(b, "join", {"room": "welcome"})
    author = member(display_name="Newcomer", established=established)
    reply = send(chat.connect(author), body)
    assert reply["error"] == "held_for_review"
    received(b)
    return bea, b, reply


def approve(app, moderator, message_id):
    return Person(app, moderator).auth.post(
        f"/rooms/console/messages/{message_id}", {"action": "approve"}, page="/rooms/console"
    )


def test_a_held_post_notifies_no_one_until_released_and_then_each_person_once(app, chat, welcome):
    signals = []
    conversation.mentioned.connect(lambda sender, **kw: signals.append(kw), weak=False)
    bea, b, reply = held_mention(chat)
    assert db.session.scalars(sa.select(Mention.user_id)).all() == [bea.id]  # stored with the post
    assert mention_notices() == [] and signals == []
    assert [e["name"] for e in received(b) if e["name"] in ("message_context", "notification")] == []

    moderator = member(display_name="Mo", roles=(Role.MODERATOR,))
    assert approve(app, moderator, reply["id"]).status_code == 302
    assert mention_notices(bea) == [bea.id]
    events = received(b)
    names = [e["name"] for e in events if e["name"] in ("message", "message_context", "notification")]
    assert sorted(names) == ["message", "message_context", "notification"]  # each once
    [context] = [e["args"][0] for e in events if e["name"] == "message_context"]
    assert context["id"] == reply["id"] and context["mentions"] == [{"id": bea.id, "display_name": "Bea Lopez"}]
    assert [s["user_ids"] for s in signals] == [[bea.id]]

    approve(app, moderator, reply["id"])  # a double click, a second moderator a moment later
    assert mention_notices() == [bea.id] and len(signals) == 1
    assert [e["name"] for e in received(b) if e["name"] in ("message", "notification")] == []


def test_two_moderators_releasing_from_pages_read_before_either_commits_notify_once(app, chat, welcome):
    """Both moderators' requests read the post while it was held; only the first release wins."""
    bea, _b, reply = held_mention(chat)
    first, second = (member(display_name=n, roles=(Role.MODERATOR,)) for n in ("Mo", "Max"))
    stale = db.session.get(Message, reply["id"])
    assert stale.is_held  # what the second moderator's request read
    with app.app_context():  # the first moderator's request: its own session, committed first
        moderation.approve_message(db.session.get(User, first.id), db.session.get(Message, reply["id"]))
    with pytest.raises(RoomError) as refused:
        moderation.approve_message(second, stale)
    assert refused.value.code == "not_found"
    db.session.rollback()
    assert mention_notices() == [bea.id]
    actions = db.session.scalars(sa.select(ModerationAction.moderator_id).filter_by(action="approve")).all()
    assert actions == [first.id]  # the loser records nothing either


def test_a_hidden_held_post_never_notifies_even_if_approved_after(app, chat, welcome):
    bea, b, reply = held_mention(chat, body=CRISIS + " @Bea Lopez", established=True)
    moderator = Person(app, member(display_name="Mo", roles=(Role.MODERATOR,)))
    moderator.auth.post(
        f"/rooms/console/messages/{reply['id']}", {"action": "hide", "reason": "Checked in"}, page="/rooms/console"
    )
    moderator.auth.post(f"/rooms/console/messages/{reply['id']}", {"action": "approve"}, page="/rooms/console")
    assert mention_notices() == []
    assert db.session.get(Message, reply["id"]).status == MessageStatus.HELD
    assert [e["name"] for e in received(b) if e["name"] in ("message", "message_context", "notification")] == []


def test_a_released_crisis_post_notifies_only_people_who_may_still_read_the_room(app, chat, program_room):
    from tests.factories import link_family, make_client

    program = program_room.test_program
    bea, cy = member(display_name="Bea"), member(display_name="Cy")
    links = {p.id: link_family(p, make_client(program=program)) for p in (bea, cy)}
    author = member(display_name="Sam")
    link_family(author, make_client(program=program))
    for person in (bea, cy):
        ack(chat.connect(person), "join", {"room": program_room.slug})
    reply = send(chat.connect(author), CRISIS + " @Bea and @Cy", room=program_room.slug)
    assert reply["crisis"] is True and sorted(db.session.scalars(sa.select(Mention.user_id))) == sorted([bea.id, cy.id])
    links[cy.id].consent.revoked_at = utcnow()  # Cy's consent ended while the post was held
    db.session.commit()
    approve(app, member(display_name="Mo", roles=(Role.MODERATOR,)), reply["id"])
    assert mention_notices() == [bea.id]


def test_two_releases_running_at_the_same_time_notify_once(app, chat, welcome, monkeypatch):
    """Two requests in two threads, each with its own database connection: both read the post
    while held; the first holds its release open (its UPDATE done, not committed) until the
    second has read the post (still held: nothing is committed) and goes on to release it too.
    The second waits for the first's commit (PostgreSQL: the row lock; SQLite: the write lock)
    and then finds nothing to release."""
    bea, _b, reply = held_mention(chat)
    moderators = {name: member(display_name=name, roles=(Role.MODERATOR,)).id for name in ("A", "B")}
    app_obj, first_has_claimed, second_has_read = app, threading.Event(), threading.Event()
    outcomes = {}
    original = conversation.on_release

    def slow_first(message):
        if threading.current_thread().name == "A":
            first_has_claimed.set()
            second_has_read.wait(10)
        return original(message)

    monkeypatch.setattr(conversation, "on_release", slow_first)

    def release(name):
        with app_obj.app_context():
            message = db.session.get(Message, reply["id"])
            held = message.is_held
            if name == "B":
                second_has_read.set()
            try:
                moderation.approve_message(db.session.get(User, moderators[name]), message)
                outcomes[name] = (held, "released")
            except RoomError as error:
                outcomes[name] = (held, error.code)
            finally:
                db.session.remove()

    overlap(release, first_has_claimed)
    assert outcomes == {"A": (True, "released"), "B": (True, "not_found")}
    db.session.expire_all()
    assert mention_notices() == [bea.id]


def test_a_held_reply_tells_the_author_it_answers_only_on_release(app, chat, welcome):
    alice = member(display_name="Alice")
    a = chat.connect(alice)
    original = send(a, "How do you all cope on weekends?")["message"]
    newcomer = chat.connect(member(display_name="Newcomer", established=False))
    reply = ack(
        newcomer, "send", {"room": "welcome", "body": "Walks", "client_id": new_id(), "reply_to": original["id"]}
    )
    assert reply["error"] == "held_for_review"
    replies = sa.select(Notification.user_id).filter_by(kind="reply")
    assert db.session.scalars(replies).all() == []
    approve(app, member(display_name="Mo", roles=(Role.MODERATOR,)), reply["id"])
    approve(app, member(display_name="Max", roles=(Role.MODERATOR,)), reply["id"])
    assert db.session.scalars(replies).all() == [alice.id]


def test_a_held_post_stays_on_the_latest_page_however_old_and_never_on_older_pages(app, chat, welcome):
    """The author's held posts belong with the message box (the newest page), not at their place
    in the history: after more than a page of newer messages they are still on the latest page,
    and an older page (`?before=`) shows none, so nothing is shown twice or out of order."""
    author, other = member(display_name="Sam"), member(display_name="Ola")
    person = Person(app, author)
    assert person.post(CRISIS).status_code == 302
    [held] = db.session.scalars(sa.select(Message)).all()
    for n in range(55):  # more than one page (services.JOIN_LATEST) of newer visible messages
        db.session.add(Message(room=welcome, author=other, client_id=new_id(), body=f"m{n}", body_html=f"m{n}"))
    db.session.commit()
    latest = page_of(person.http.get("/rooms/welcome"))
    assert list(held_items(latest)) == [held.client_id]
    newest_shown = min(int(i) for i in re.findall(r'id="m-(\d+)"', latest))
    older = page_of(person.http.get(f"/rooms/welcome?before={newest_shown}"))
    assert 'id="m-' in older and held_items(older) == {}
