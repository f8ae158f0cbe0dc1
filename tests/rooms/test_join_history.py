"""A join's messages are read as plain rows (services.join_messages), afresh on every join: what
a reader may see is always the database's answer of that moment. A reconnecting reader never
gets a message hidden, deleted or still held since their last join, and sees edits, releases,
new names and badges; the payloads are the very ones the live `message` event carries."""

from portal.extensions import db
from portal.rooms import moderation
from portal.rooms.models import Message, WatchedWord
from portal.security import Role
from tests.rooms.conftest import ack, member, new_id, payloads

XSS = "<img src=x onerror=alert(1)>"


def _rejoin(chat, user, after_id=None):
    """A new socket of `user` joining, as after a server restart."""
    reply = ack(chat.connect(user), "join", {"room": "welcome", "after_id": after_id})
    assert reply["ok"] is True
    return reply


def _ids(reply):
    return [m["id"] for m in reply["messages"]]


def _send(sock, body):
    return ack(sock, "send", {"room": "welcome", "body": body, "client_id": new_id()})


def test_joined_payloads_are_the_live_message_payloads(app, chat, welcome):
    author = member(display_name="Alice", roles=(Role.FAMILY, Role.MODERATOR))
    reader = member(display_name="Bea")
    r = chat.connect(reader)
    ack(r, "join", {"room": "welcome"})
    sent = [_send(chat.connect(author), body)["message"] for body in ("*hi*", XSS)]
    live = payloads(r, "message")
    assert live == sent
    assert _rejoin(chat, reader)["messages"][-2:] == live
    assert _rejoin(chat, reader, after_id=0)["messages"] == live
    assert live[0]["author_badge"]["role"] == "moderator"
    assert "<img" not in live[1]["body_html"]  # escaped, as text


def test_a_hidden_or_deleted_message_is_gone_on_the_next_join(app, chat, welcome):
    author, reader, moderator = member(), member(), member(roles=(Role.MODERATOR,))
    a = chat.connect(author)
    hidden, deleted, kept = (_send(a, body)["message"]["id"] for body in ("one", "two", "three"))
    assert _ids(_rejoin(chat, reader))[-3:] == [hidden, deleted, kept]
    moderation.hide_message(moderator, db.session.get(Message, hidden), "off topic")
    assert ack(a, "delete", {"message_id": deleted}) == {"ok": True}
    for after_id in (None, 0):
        assert _ids(_rejoin(chat, reader, after_id)) == [kept]


def test_a_held_message_reaches_others_only_once_released(app, chat, welcome):
    newcomer, reader, moderator = member(established=False), member(), member(roles=(Role.MODERATOR,))
    held = _send(chat.connect(newcomer), "my first words")
    assert held["error"] == "held_for_review"
    assert held["id"] not in _ids(_rejoin(chat, reader)) + _ids(_rejoin(chat, reader, after_id=0))
    assert held["id"] not in _ids(_rejoin(chat, newcomer))  # the author gets it as `held`
    moderation.approve_message(moderator, db.session.get(Message, held["id"]))
    assert _ids(_rejoin(chat, reader)) == [held["id"]]


def test_edits_names_and_watched_words_show_on_the_next_join(app, chat, welcome):
    author, reader = member(display_name="Alice"), member()
    a = chat.connect(author)
    message_id = _send(a, "first words")["message"]["id"]
    assert _rejoin(chat, reader)["messages"][0]["author"]["display_name"] == "Alice"
    edited = ack(a, "edit", {"message_id": message_id, "body": "better words"})["message"]
    (joined,) = _rejoin(chat, reader)["messages"]
    assert joined == edited and "better words" in joined["body_html"] and joined["edited_at"]
    author.display_name = "Alicia"
    db.session.commit()
    assert _rejoin(chat, reader)["messages"][0]["author"]["display_name"] == "Alicia"
    db.session.add(WatchedWord(phrase="alicia", action="block"))
    db.session.commit()
    assert _rejoin(chat, reader)["messages"][0]["author"]["display_name"] == f"Member {author.id}"


def test_history_pages_read_the_same_rows(app, chat, welcome):
    """`history` (older pages) shares the join's reading: hidden and held messages stay out."""
    author, newcomer, reader = member(display_name="Alice"), member(established=False), member()
    moderator = member(roles=(Role.MODERATOR,))
    a = chat.connect(author)
    shown, hidden = (_send(a, body)["message"] for body in ("shown", "hidden"))
    held = _send(chat.connect(newcomer), "held")
    newest = _send(a, "newest")["message"]
    moderation.hide_message(moderator, db.session.get(Message, hidden["id"]), "off topic")
    r = chat.connect(reader)
    ack(r, "join", {"room": "welcome"})
    page = ack(r, "history", {"room": "welcome", "before_id": newest["id"]})
    assert page == {"ok": True, "messages": [shown], "has_more": False}
    assert held["id"] not in _ids(page)
