"""The /chat protocol (docs/architecture.md, docs/realtime.md): every event, its acks and broadcasts."""

import sqlalchemy as sa

from portal.extensions import db, socketio
from portal.rooms.models import Message
from portal.security import Role
from tests.factories import make_user
from tests.rooms.conftest import ack, make_room, member, new_id, payloads, received


def test_connection_is_refused_without_a_signed_in_session(app, client):
    sock = socketio.test_client(app, namespace="/chat", flask_test_client=client)
    assert not sock.is_connected("/chat")


def test_connection_is_refused_for_people_who_may_not_chat(app, chat):
    nobody = make_user(roles=())  # no role: neither rooms nor check-ins
    sock = chat.connect(nobody)
    assert not sock.is_connected("/chat")


def test_counselors_connect_for_check_ins_only_and_room_events_refuse_them(app, chat, welcome):
    counselor = make_user(roles=(Role.COUNSELOR,))
    sock = chat.connect(counselor)
    assert sock.is_connected("/chat")  # private check-ins reach them live (docs/realtime.md)
    assert ack(sock, "send", {"room": "welcome", "body": "hi", "client_id": new_id()})["error"] == "unauthorized"
    assert not sock.is_connected("/chat")
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_join_returns_room_latest_messages_and_presence(app, chat, welcome):
    alice = member(display_name="Alice")
    sock = chat.connect(alice)
    for n in range(3):
        assert ack(sock, "send", {"room": "welcome", "body": f"hello {n}", "client_id": new_id()})["ok"]
    other = chat.connect(member(display_name="Bea"))
    reply = ack(other, "join", {"room": "welcome", "after_id": None})
    assert reply["ok"] is True
    assert reply["room"]["slug"] == "welcome"
    assert [m["body_html"] for m in reply["messages"]] == ["<p>hello 0</p>", "<p>hello 1</p>", "<p>hello 2</p>"]
    assert reply["has_more"] is False
    assert set(reply["messages"][0]) >= {"id", "room", "author", "body_html", "created_at", "client_id"}
    assert reply["messages"][0]["author"] == {"id": alice.id, "display_name": "Alice"}
    assert reply["messages"][0]["created_at"].endswith("Z")
    assert "Bea" in reply["room"]["online"]


def test_join_without_after_id_gives_the_latest_50_with_has_more(app, chat, welcome):
    alice = member()
    db.session.add_all(
        Message(room=welcome, author=alice, client_id=new_id(), body=f"m{n}", body_html=f"<p>m{n}</p>")
        for n in range(60)
    )
    db.session.commit()
    sock = chat.connect(alice)
    reply = ack(sock, "join", {"room": "welcome"})
    ids = [m["id"] for m in reply["messages"]]
    assert len(ids) == 50 and ids == sorted(ids)
    assert reply["messages"][-1]["body_html"] == "<p>m59</p>"
    assert reply["has_more"] is True


def test_join_with_after_id_returns_newer_messages_oldest_first_up_to_200(app, chat, welcome):
    alice = member()
    rows = [Message(room=welcome, author=alice, client_id=new_id(), body="x", body_html="<p>x</p>") for _ in range(230)]
    db.session.add_all(rows)
    db.session.commit()
    sock = chat.connect(alice)
    reply = ack(sock, "join", {"room": "welcome", "after_id": rows[9].id})
    ids = [m["id"] for m in reply["messages"]]
    assert ids == [r.id for r in rows[10:210]]
    assert reply["has_more"] is True
    rest = ack(sock, "join", {"room": "welcome", "after_id": ids[-1]})
    assert [m["id"] for m in rest["messages"]] == [r.id for r in rows[210:]]
    assert rest["has_more"] is False


def test_send_commits_before_broadcast_and_acks_the_message(app, chat, welcome, monkeypatch):
    from portal.rooms import broadcast

    alice, bea = member(display_name="Alice"), member()
    a, b = chat.connect(alice), chat.connect(bea)
    ack(a, "join", {"room": "welcome"})
    ack(b, "join", {"room": "welcome"})
    seen_committed = []
    original = broadcast.message

    def checking(payload):
        with db.engine.connect() as conn:  # a separate connection sees only committed rows
            seen_committed.append(
                conn.scalar(sa.text("SELECT count(*) FROM room_messages WHERE id = :id"), {"id": payload["id"]})
            )
        original(payload)

    monkeypatch.setattr(broadcast, "message", checking)
    cid = new_id()
    reply = ack(a, "send", {"room": "welcome", "body": "**hi** there", "client_id": cid})
    assert reply["ok"] is True
    assert reply["message"]["body_html"] == "<p><strong>hi</strong> there</p>"
    assert reply["message"]["client_id"] == cid
    assert seen_committed == [1]
    live = payloads(b, "message")
    assert [m["id"] for m in live] == [reply["message"]["id"]]
    row = db.session.get(Message, reply["message"]["id"])
    assert row.body == "**hi** there" and row.status == "visible"


def test_send_is_idempotent_per_author_and_client_id(app, chat, welcome):
    a, b = chat.connect(member()), chat.connect(member())
    ack(a, "join", {"room": "welcome"})
    ack(b, "join", {"room": "welcome"})
    cid = new_id()
    first = ack(a, "send", {"room": "welcome", "body": "once", "client_id": cid})
    again = ack(a, "send", {"room": "welcome", "body": "once", "client_id": cid})
    assert first == again
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1
    assert len(received(b, "message")) == 1


def test_same_client_id_from_two_people_is_two_messages(app, chat, welcome):
    cid = new_id()
    one = ack(chat.connect(member()), "send", {"room": "welcome", "body": "a", "client_id": cid})
    two = ack(chat.connect(member()), "send", {"room": "welcome", "body": "b", "client_id": cid})
    assert one["message"]["id"] != two["message"]["id"]


def test_message_ids_increase(app, chat, welcome):
    sock = chat.connect(member())
    ids = [
        ack(sock, "send", {"room": "welcome", "body": str(n), "client_id": new_id()})["message"]["id"] for n in range(5)
    ]
    assert ids == sorted(ids) and len(set(ids)) == 5


def test_history_pages_backwards(app, chat, welcome):
    alice = member()
    rows = [Message(room=welcome, author=alice, client_id=new_id(), body="x", body_html="<p>x</p>") for _ in range(30)]
    db.session.add_all(rows)
    db.session.commit()
    sock = chat.connect(alice)
    page = ack(sock, "history", {"room": "welcome", "before_id": rows[25].id, "limit": 10})
    assert page["ok"] is True
    assert [m["id"] for m in page["messages"]] == [r.id for r in rows[15:25]]
    assert page["has_more"] is True
    first = ack(sock, "history", {"room": "welcome", "before_id": rows[5].id, "limit": 100})
    assert [m["id"] for m in first["messages"]] == [r.id for r in rows[:5]]
    assert first["has_more"] is False


def test_history_limit_above_100_is_invalid(app, chat, welcome):
    sock = chat.connect(member())
    assert ack(sock, "history", {"room": "welcome", "before_id": 10, "limit": 101})["error"] == "invalid"


def test_leave_stops_delivery(app, chat, welcome):
    a, b = chat.connect(member()), chat.connect(member())
    ack(a, "join", {"room": "welcome"})
    ack(b, "join", {"room": "welcome"})
    assert ack(b, "leave", {"room": "welcome"}) == {"ok": True}
    received(b)
    ack(a, "send", {"room": "welcome", "body": "anyone?", "client_id": new_id()})
    assert received(b, "message") == []


def test_typing_reaches_others_but_not_the_typist(app, chat, welcome):
    a, b = chat.connect(member(display_name="Alice")), chat.connect(member())
    ack(a, "join", {"room": "welcome"})
    ack(b, "join", {"room": "welcome"})
    received(a), received(b)
    a.emit("typing", {"room": "welcome"}, namespace="/chat")
    assert payloads(b, "typing") == [{"room": "welcome", "display_name": "Alice"}]
    assert received(a, "typing") == []


def test_presence_lists_display_names_never_emails(app, chat, welcome):
    a = chat.connect(member("alice@example.org", "Alice"))
    ack(a, "join", {"room": "welcome"})
    b = chat.connect(member("bea@example.org", "Bea"))
    ack(b, "join", {"room": "welcome"})
    updates = payloads(a, "presence")
    assert updates[-1] == {"room": "welcome", "online": ["Alice", "Bea"]}
    assert "example.org" not in str(updates)
    b.disconnect(namespace="/chat")
    assert payloads(a, "presence")[-1]["online"] == ["Alice"]


def test_flag_queues_the_message_for_moderators(app, chat, welcome):
    from portal.rooms.models import Flag

    author, reporter = member(), member()
    mod = chat.connect(member(roles=(Role.MODERATOR,)))
    message_id = ack(chat.connect(author), "send", {"room": "welcome", "body": "rude", "client_id": new_id()})[
        "message"
    ]["id"]
    assert ack(chat.connect(reporter), "flag", {"message_id": message_id, "reason": "unkind"}) == {"ok": True}
    flag = db.session.scalar(sa.select(Flag))
    assert (flag.message_id, flag.reporter_id, flag.reason, flag.kind) == (message_id, reporter.id, "unkind", "member")
    alerts = payloads(mod, "moderation_alert")
    assert alerts[-1]["kind"] == "flag" and alerts[-1]["message"]["id"] == message_id


def test_rooms_are_isolated_with_three_clients(app, chat, welcome):
    make_room("parents", name="Parents")
    a, b, c = chat.connect(member()), chat.connect(member()), chat.connect(member())
    ack(a, "join", {"room": "welcome"})
    ack(b, "join", {"room": "welcome"})
    ack(c, "join", {"room": "parents"})
    ack(a, "send", {"room": "welcome", "body": "for welcome", "client_id": new_id()})
    ack(c, "send", {"room": "parents", "body": "for parents", "client_id": new_id()})
    assert [m["body_html"] for m in payloads(b, "message")] == ["<p>for welcome</p>"]
    assert [m["body_html"] for m in payloads(c, "message")] == ["<p>for parents</p>"]
    assert [m["body_html"] for m in payloads(a, "message")] == ["<p>for welcome</p>"]


def test_catch_up_after_disconnect_has_no_gaps_and_no_duplicates(app, chat, welcome):
    alice, bea = member(), member()
    a, b = chat.connect(alice), chat.connect(bea)
    ack(a, "join", {"room": "welcome"})
    joined = ack(b, "join", {"room": "welcome"})
    seen = [m["id"] for m in joined["messages"]]
    ack(a, "send", {"room": "welcome", "body": "before", "client_id": new_id()})
    seen += [m["id"] for m in payloads(b, "message")]
    b.disconnect(namespace="/chat")
    missed = [
        ack(a, "send", {"room": "welcome", "body": f"missed {n}", "client_id": new_id()})["message"]["id"]
        for n in range(4)
    ]
    b2 = chat.connect(bea)
    caught = ack(b2, "join", {"room": "welcome", "after_id": seen[-1]})
    assert [m["id"] for m in caught["messages"]] == missed
    all_ids = seen + [m["id"] for m in caught["messages"]]
    assert all_ids == sorted(set(all_ids))


def test_edit_own_message_within_ten_minutes_and_delete(app, chat, welcome):
    a, b = chat.connect(member()), chat.connect(member())
    ack(b, "join", {"room": "welcome"})
    sent = ack(a, "send", {"room": "welcome", "body": "typo", "client_id": new_id()})["message"]
    edited = ack(a, "edit", {"message_id": sent["id"], "body": "fixed"})
    assert edited["ok"] and edited["message"]["body_html"] == "<p>fixed</p>" and edited["message"]["edited_at"]
    assert [m["body_html"] for m in payloads(b, "message_edited")] == ["<p>fixed</p>"]
    assert ack(b, "edit", {"message_id": sent["id"], "body": "not mine"})["error"] == "not_found"
    assert ack(b, "delete", {"message_id": sent["id"]})["error"] == "not_found"
    assert ack(a, "delete", {"message_id": sent["id"]}) == {"ok": True}
    assert payloads(b, "message_removed") == [{"id": sent["id"], "room": "welcome"}]
    assert db.session.get(Message, sent["id"]).removed_at is not None
    assert ack(b, "join", {"room": "welcome"})["messages"] == []


def test_edit_after_ten_minutes_is_refused(app, chat, welcome):
    from datetime import timedelta

    sock = chat.connect(member())
    sent = ack(sock, "send", {"room": "welcome", "body": "old", "client_id": new_id()})["message"]
    row = db.session.get(Message, sent["id"])
    row.created_at = row.created_at - timedelta(minutes=11)
    db.session.commit()
    assert ack(sock, "edit", {"message_id": sent["id"], "body": "new"})["error"] == "too_late"


def test_read_marker_moves_forward_only(app, chat, welcome):
    from portal.rooms.services import last_read_id

    alice = member()
    sock = chat.connect(alice)
    ids = [
        ack(sock, "send", {"room": "welcome", "body": "x", "client_id": new_id()})["message"]["id"] for _ in range(3)
    ]
    assert ack(sock, "read", {"room": "welcome", "last_id": ids[1]}) == {"ok": True}
    ack(sock, "read", {"room": "welcome", "last_id": ids[0]})
    assert last_read_id(alice, welcome) == ids[1]


def test_joining_up_to_date_marks_the_room_read(app, chat, welcome):
    from portal.rooms.services import last_read_id

    alice, bea = member(), member()
    newest = ack(chat.connect(alice), "send", {"room": "welcome", "body": "x", "client_id": new_id()})["message"]["id"]
    sock = chat.connect(bea)
    ack(sock, "join", {"room": "welcome", "after_id": newest})
    assert last_read_id(bea, welcome) == newest
    ack(sock, "join", {"room": "welcome", "after_id": 10**9})  # a claim beyond the newest id is clamped
    assert last_read_id(bea, welcome) == newest


def test_presence_is_batched_per_room_when_an_interval_is_set(app, chat, welcome, monkeypatch):
    """Many joins in a moment cost one `presence` broadcast, not one each (ROOMS_PRESENCE_INTERVAL)."""
    import threading
    import time

    from portal.extensions import socketio

    app.config["ROOMS_PRESENCE_INTERVAL"] = 1.0
    release = threading.Event()
    monkeypatch.setattr(socketio, "sleep", lambda seconds: release.wait(10))  # the test says when time passes

    a = chat.connect(member("alice@example.org", "Alice"))
    assert ack(a, "join", {"room": "welcome"})["room"]["online"] == ["Alice"]
    for email, name in (("bea@example.org", "Bea"), ("cy@example.org", "Cy"), ("dee@example.org", "Dee")):
        joined = ack(chat.connect(member(email, name)), "join", {"room": "welcome"})
        assert name in joined["room"]["online"]  # the joiner's own ack is never delayed
    assert payloads(a, "presence") == []  # nothing yet: the batch has not run

    release.set()
    updates = []
    for _ in range(100):
        updates += payloads(a, "presence")
        if updates:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    updates += payloads(a, "presence")
    assert updates == [{"room": "welcome", "online": ["Alice", "Bea", "Cy", "Dee"]}]
    # The sockets close at teardown: announce those leaves at once, so no batch task is still
    # reading the database while the next test empties the tables (a deadlock on PostgreSQL).
    app.config["ROOMS_PRESENCE_INTERVAL"] = 0


def test_flagging_in_a_room_you_cannot_see_answers_like_an_unknown_id(app, chat, program_room, linked_member):
    from portal.rooms.models import Flag

    sent = ack(chat.connect(linked_member), "join", {"room": "evening-iop"})
    assert sent["ok"]
    writer = chat.connect(linked_member)
    message_id = ack(writer, "send", {"room": "evening-iop", "body": "our program", "client_id": new_id()})["message"][
        "id"
    ]
    outsider = chat.connect(member())
    elsewhere = ack(outsider, "flag", {"message_id": message_id, "reason": "x"})
    unknown = ack(outsider, "flag", {"message_id": 999_999, "reason": "x"})
    assert elsewhere == unknown
    assert elsewhere["error"] == "not_found"
    assert db.session.scalar(sa.select(Flag)) is None
