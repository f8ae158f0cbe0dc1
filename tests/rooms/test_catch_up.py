"""Catch-up after a rejoin has no gaps (issue 17): the join subscribes before it reads, and ids
are commit-ordered per room, so "ids > the newest I have" never skips a committed message."""

import threading
import time

from flask import current_app

from portal.extensions import db
from portal.rooms import broadcast, ratelimit, services
from portal.rooms.models import Room
from tests.rooms.conftest import ack, member, new_id, payloads
from tests.support.races import overlap


def test_a_message_committed_while_the_join_reads_reaches_the_joiner(app, chat, welcome, monkeypatch):
    """A message committed and broadcast just after the join's read (before the old code joined
    the Socket.IO room) must reach the reader live — it is not in the ack."""
    sender, reader = member(display_name="Sender"), member(display_name="Reader")
    r = chat.connect(reader)
    first = ack(r, "join", {"room": "welcome"})
    assert first["ok"] is True
    assert ack(r, "leave", {"room": "welcome"}) == {"ok": True}
    original = services.join_messages
    injected = []

    def read_then_someone_posts(room, after_id):
        result = original(room, after_id)
        if not injected:
            author = db.session.get(type(sender), sender.id)
            posted = services.post_message(author, room, "committed during the join", new_id(), ratelimit.take)
            broadcast.posted(posted, posted.payload)
            injected.append(posted.payload["id"])
        return result

    monkeypatch.setattr(services, "join_messages", read_then_someone_posts)
    r.get_received("/chat")
    joined = ack(r, "join", {"room": "welcome", "after_id": 0})
    assert joined["ok"] is True
    in_ack = [m["id"] for m in joined["messages"]]
    live = [m["id"] for m in payloads(r, "message")]
    assert injected and injected[0] not in in_ack
    assert live == injected


def test_a_failed_read_leaves_the_room_it_subscribed_to(app, chat, welcome, monkeypatch):
    r = chat.connect(member())

    def broken(room, after_id):
        raise RuntimeError("read failed")

    monkeypatch.setattr(services, "join_messages", broken)
    assert ack(r, "join", {"room": "welcome"})["ok"] is False
    monkeypatch.undo()
    other = chat.connect(member())
    ack(other, "join", {"room": "welcome"})
    ack(other, "send", {"room": "welcome", "body": "not for a failed join", "client_id": new_id()})
    assert payloads(r, "message") == []


def test_ids_are_commit_ordered_in_a_room(app, welcome, monkeypatch):
    """Sender A draws an id and is slow to commit; sender B, posting in the same room meanwhile,
    must not commit a higher id before A commits (PostgreSQL: the room row lock; SQLite: the
    database write lock). Without it a reader could see B's id, ask for "ids > B" later and
    never get A's message."""
    alice, bea = member(), member()
    app_obj = current_app._get_current_object()
    room_id, user_ids = welcome.id, {"A": alice.id, "B": bea.id}
    a_has_id, release_a = threading.Event(), threading.Event()
    committed = []  # (sender, id) in commit order
    original_payload = services.message_payload

    def slow_for_a(message, words=None):
        data = original_payload(message, words)
        if threading.current_thread().name == "A" and message.id is not None and not a_has_id.is_set():
            a_has_id.set()
            release_a.wait(10)
        return data

    monkeypatch.setattr(services, "message_payload", slow_for_a)

    def post(name):
        with app_obj.app_context():
            author = db.session.get(type(alice), user_ids[name])
            room = db.session.get(Room, room_id)
            posted = services.post_message(author, room, f"from {name}", new_id(), lambda _user: 0)
            committed.append((name, posted.payload["id"]))
            db.session.remove()

    early = []

    def watch_b_then_let_a_go():
        time.sleep(0.5)
        early.extend(committed)
        release_a.set()

    overlap(post, a_has_id, meanwhile=watch_b_then_let_a_go, timeout=15)
    assert early == [], f"B committed while A held a lower uncommitted id: {early}"
    assert [name for name, _ in committed] == ["A", "B"]
    assert committed[0][1] < committed[1][1]
