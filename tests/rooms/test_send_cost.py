"""What one chat send costs the database, and the rules the one-statement check must still keep.

A send used to run 8 statements before the broadcast (10 for a new member in a slow-mode room,
11 in a program room): the session, then the suspension, the room, the mutes and bans, the
guidelines, the client_id lookup, slow mode, pre-moderation, the watched words, the INSERT.
`access.load_rules` now asks everything about the person and the room in one statement.
"""

from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.rooms.models import Message, RestrictionKind, RoomKind, RoomRestriction, Suspension
from portal.security import Role
from tests.rooms.conftest import ack, make_room, member, new_id, payloads
from tests.statements import counting

SEND_STATEMENTS = 4  # session (+ user + roles), rules, watched words, INSERT — then the commit
JOIN_STATEMENTS = 7  # session, rules, messages, watched words, own held posts, read marker, online
FIRST_READ_MARKER = 4  # the first join in a room creates the marker: savepoint, INSERT, release, UPDATE


def room_lock():
    """PostgreSQL adds one statement: the room row lock that makes ids commit-ordered per room
    (services._serialize_posts, docs/realtime.md); SQLite's write lock does that for free."""
    return 1 if db.engine.dialect.name == "postgresql" else 0


def counted(fn):
    """(fn(), the SQL statements it ran)."""
    with counting() as statements:
        result = fn()
    return result, [" ".join(statement.split()) for statement in statements]


def send(sock, body="hello", room="welcome", client_id=None):
    return ack(sock, "send", {"room": room, "body": body, "client_id": client_id or new_id()})


def writes(statements):
    return [s for s in statements if s.upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_a_send_runs_at_most_four_statements_and_one_insert(app, chat, welcome):
    sock = chat.connect(member(display_name="Alice"))
    ack(sock, "join", {"room": "welcome"})
    assert send(sock, "warm up")["ok"]  # the idle clock's once-a-minute write happens here
    reply, statements = counted(lambda: send(sock, "hello"))
    assert reply["ok"] is True
    assert len(statements) <= SEND_STATEMENTS + room_lock(), statements
    assert [s.split(" (")[0] for s in writes(statements)] == ["INSERT INTO room_messages"]
    assert sum("FOR NO KEY UPDATE" in s for s in statements) == room_lock()
    assert sum("session_records" in s for s in statements) == 1  # identity is still re-read


def test_a_new_member_in_a_slow_mode_room_costs_no_more_before_the_commit(app, chat, welcome):
    welcome.slow_mode_seconds = 5
    db.session.commit()
    sock = chat.connect(member(established=False))
    reply, statements = counted(lambda: send(sock, "hello"))
    assert reply["error"] == "held_for_review"
    insert = next(i for i, s in enumerate(statements) if s.startswith("INSERT"))
    assert insert + 1 <= SEND_STATEMENTS + room_lock(), statements
    # after the commit, the ack's words need the person's language: their row is read again
    assert len(statements) <= SEND_STATEMENTS + room_lock() + 2, statements


def test_a_repeated_send_reads_the_stored_message_and_writes_nothing(app, chat, welcome):
    sock = chat.connect(member())
    cid = new_id()
    first = send(sock, "once", client_id=cid)
    again, statements = counted(lambda: send(sock, "once", client_id=cid))
    assert again == first
    assert writes(statements) == []
    assert len(statements) <= 5  # session, rules (which finds the id), the message, its author's name


def test_a_send_in_a_program_room_still_checks_the_consent(app, chat, program_room, linked_member):
    sock = chat.connect(linked_member)
    reply, statements = counted(lambda: send(sock, "hello", room="evening-iop"))
    assert reply["ok"] is True
    assert any("family_links" in s for s in statements)
    linked_member.test_link.consent.revoked_at = utcnow()
    db.session.commit()
    assert send(sock, "again", room="evening-iop")["error"] == "not_member"


def test_a_client_id_used_in_another_room_is_invalid(app, chat, welcome):
    make_room("second")
    sock = chat.connect(member())
    cid = new_id()
    assert send(sock, "here", client_id=cid)["ok"]
    assert send(sock, "there", room="second", client_id=cid)["error"] == "invalid"


def test_invite_only_rooms_need_an_invitation_to_post(app, chat):
    from portal.rooms.models import RoomMember

    room = make_room("circle", kind=RoomKind.INVITE_ONLY)
    alice = member()
    sock = chat.connect(alice)
    assert send(sock, room="circle")["error"] == "not_member"
    db.session.add(RoomMember(room_id=room.id, user_id=alice.id))
    db.session.commit()
    assert send(sock, room="circle")["ok"] is True


def _message(room, author, age_seconds, status="visible"):
    db.session.add(
        Message(
            room=room,
            author=author,
            client_id=new_id(),
            body="earlier",
            body_html="<p>earlier</p>",
            status=status,
            created_at=utcnow() - timedelta(seconds=age_seconds),
        )
    )
    db.session.commit()


def test_slow_mode_counts_from_the_authors_last_message_in_that_room(app, chat, welcome):
    welcome.slow_mode_seconds = 30
    other = make_room("other", slow_mode_seconds=30)
    alice = member()
    _message(other, alice, age_seconds=1)  # another room does not count
    _message(welcome, alice, age_seconds=40)  # longer ago than the slow mode
    sock = chat.connect(alice)
    assert send(sock, "free to post")["ok"] is True
    reply = send(sock, "too soon")
    assert reply["error"] == "slow_mode" and 25 <= reply["retry_after"] <= 30


def test_slow_mode_wait_is_what_remains_of_the_interval(app, chat, welcome):
    welcome.slow_mode_seconds = 30
    alice = member()
    _message(welcome, alice, age_seconds=12)
    reply = send(chat.connect(alice))
    assert reply["error"] == "slow_mode" and 16 <= reply["retry_after"] <= 18


@pytest.mark.parametrize(("approved", "held"), [(0, True), (2, True), (3, False), (7, False)])
def test_premoderation_ends_after_three_approved_messages_in_the_room(app, chat, welcome, approved, held):
    newcomer = member(established=False)
    for _ in range(approved):
        _message(welcome, newcomer, age_seconds=60)
    _message(welcome, newcomer, age_seconds=60, status="held")  # waiting ones do not count
    reply = send(chat.connect(newcomer))
    assert (reply.get("error") == "held_for_review") is held
    assert reply["ok"] is not held


def _mute(user, room, kind=RestrictionKind.MUTE, **fields):
    db.session.add(RoomRestriction(room_id=room.id, user_id=user.id, kind=kind.value, created_by_id=user.id, **fields))
    db.session.commit()


@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        ({}, True),
        ({"until": timedelta(minutes=5)}, True),
        ({"until": timedelta(minutes=-5)}, False),
        ({"lifted_at": timedelta(minutes=-1)}, False),
    ],
)
def test_mutes_and_bans_refuse_only_while_in_force(app, chat, welcome, fields, refused):
    fields = {key: utcnow() + delta for key, delta in fields.items()}
    alice, bea = member(), member()
    _mute(alice, welcome, **fields)
    _mute(bea, welcome, kind=RestrictionKind.BAN, **fields)
    muted, banned = send(chat.connect(alice)), send(chat.connect(bea))
    assert (muted.get("error") == "muted") is refused
    assert (banned.get("error") == "banned") is refused
    assert muted["ok"] is not refused and banned["ok"] is not refused


def test_a_mute_in_another_room_does_not_count(app, chat, welcome):
    alice = member()
    _mute(alice, make_room("other"))
    assert send(chat.connect(alice))["ok"] is True


@pytest.mark.parametrize(("until", "refused"), [(None, True), (timedelta(hours=1), True), (timedelta(hours=-1), False)])
def test_suspensions_refuse_and_disconnect_only_while_in_force(app, chat, welcome, until, refused):
    alice = member()
    sock = chat.connect(alice)
    db.session.add(Suspension(user_id=alice.id, created_by_id=alice.id, until=utcnow() + until if until else None))
    db.session.commit()
    reply = send(sock)
    assert (reply.get("error") == "unauthorized") is refused
    assert sock.is_connected("/chat") is not refused


def test_the_broadcast_payload_is_the_acked_message(app, chat, welcome):
    a, b = chat.connect(member(display_name="Alice")), chat.connect(member(roles=(Role.FAMILY,)))
    ack(a, "join", {"room": "welcome"})
    ack(b, "join", {"room": "welcome"})
    reply = send(a, "*hi*")
    assert payloads(b, "message") == [reply["message"]]


def test_a_join_reads_the_latest_messages_once(app, chat, welcome):
    """Regression: the read-marker commit expired the 50 messages, and building the ack then
    loaded each of them again (one statement per message, ~60 per join)."""
    alice = member(display_name="Alice")
    for n in range(60):
        _message(welcome, alice, age_seconds=600 - n)
    sock = chat.connect(member(display_name="Bea"))
    reply, statements = counted(lambda: ack(sock, "join", {"room": "welcome"}))
    assert reply["ok"] is True and len(reply["messages"]) == 50
    assert reply["room"]["last_read_id"] == reply["messages"][-1]["id"]
    assert reply["room"]["may_post"] is True and reply["room"]["online"] == ["Bea"]
    # the messages and the joiner's own posts still in review (the newest id is the last read)
    assert sum("FROM room_messages" in s for s in statements) <= 2, statements
    # was 17: the online list read twice as User rows with their roles, the room's newest id
    # and the read marker read again after the commit
    assert len(statements) <= JOIN_STATEMENTS + FIRST_READ_MARKER, "\n".join(s[:120] for s in statements)


def _joined_once(chat, room, messages):
    """Bea has joined a room holding `messages` of Alice's: (that join's ack, a new socket of hers)."""
    alice = member(display_name="Alice")
    for n in range(messages):
        _message(room, alice, age_seconds=600 - n)
    bea = member(display_name="Bea")
    first = ack(chat.connect(bea), "join", {"room": room.slug})
    return first, chat.connect(bea)


def test_a_rejoin_that_has_seen_everything_writes_nothing(app, chat, welcome):
    """A reconnect storm (every client of a restarted server rejoining at once): each rejoin
    reads the session, the room's rules, the messages, the watched words, the joiner's held
    posts, the read marker and the online names, and writes nothing."""
    first, sock = _joined_once(chat, welcome, 60)
    reply, statements = counted(lambda: ack(sock, "join", {"room": "welcome"}))
    assert reply["messages"] == first["messages"] and reply["room"]["last_read_id"] == first["messages"][-1]["id"]
    assert writes(statements) == []
    assert len(statements) <= JOIN_STATEMENTS, "\n".join(s[:120] for s in statements)


def test_a_catch_up_rejoin_with_nothing_new_reads_no_newest_id(app, chat, welcome):
    """A reconnect that sends its after_id and finds nothing new: the read marker already stands
    there, so the room's newest id (the cap on an id a client sends) is not asked for."""
    first, sock = _joined_once(chat, welcome, 3)
    newest = first["messages"][-1]["id"]
    reply, statements = counted(lambda: ack(sock, "join", {"room": "welcome", "after_id": newest}))
    assert reply["messages"] == [] and reply["room"]["last_read_id"] == newest
    assert writes(statements) == []
    assert not any("max(room_messages.id)" in s for s in statements), statements
    # was 8: the room's newest id was read before the marker, on every rejoin
    assert len(statements) <= JOIN_STATEMENTS, "\n".join(s[:120] for s in statements)
