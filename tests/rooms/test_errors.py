"""Every error code of the /chat contract, where it applies."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.clock import utcnow
from portal.extensions import db
from portal.rooms.models import Message, RestrictionKind, RoomKind, RoomRestriction, WatchedWord
from portal.security import Role
from tests.rooms.conftest import ack, make_room, member, new_id, received


def send(sock, body="hello", room="welcome", client_id=None):
    return ack(sock, "send", {"room": room, "body": body, "client_id": client_id or new_id()})


def assert_error(reply, code):
    assert reply["ok"] is False, reply
    assert reply["error"] == code
    assert isinstance(reply["message"], str) and reply["message"]


def test_unauthorized_after_the_session_is_revoked_elsewhere(app, chat, welcome):
    from portal.auth.models import SessionRecord

    alice = member()
    sock = chat.connect(alice)
    for record in db.session.scalars(sa.select(SessionRecord).filter_by(user_id=alice.id)):
        record.revoke("admin")  # revoked without a signal: the next event must still notice
    db.session.commit()
    assert_error(send(sock), "unauthorized")
    assert not sock.is_connected("/chat")


def test_unauthorized_after_the_session_idles_out(app, chat, welcome):
    from portal.auth.models import SessionRecord

    alice = member()
    sock = chat.connect(alice)
    record = db.session.scalar(sa.select(SessionRecord).filter_by(user_id=alice.id))
    record.last_seen_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    assert_error(ack(sock, "join", {"room": "welcome"}), "unauthorized")


def test_unauthorized_when_the_account_is_deactivated(app, chat, welcome):
    alice = member()
    sock = chat.connect(alice)
    alice.active = False
    db.session.commit()
    assert_error(send(sock), "unauthorized")


def test_not_found_for_unknown_and_archived_rooms(app, chat, welcome):
    make_room("old", archived=True)
    sock = chat.connect(member())
    assert_error(ack(sock, "join", {"room": "nowhere"}), "not_found")
    assert_error(ack(sock, "join", {"room": "old"}), "not_found")
    assert_error(send(sock, room="nowhere"), "not_found")
    assert_error(ack(sock, "flag", {"message_id": 999999, "reason": "x"}), "not_found")


def test_not_member_of_a_program_room_without_a_family_link(app, chat, program_room):
    family2 = member("family2@example.org")
    sock = chat.connect(family2)
    assert_error(ack(sock, "join", {"room": "evening-iop"}), "not_member")
    assert_error(send(sock, room="evening-iop"), "not_member")
    assert_error(ack(sock, "history", {"room": "evening-iop", "before_id": 5}), "not_member")


def test_not_member_of_an_invite_only_room_until_invited(app, chat):
    from portal.rooms.models import RoomMember

    room = make_room("circle", kind=RoomKind.INVITE_ONLY)
    alice = member()
    sock = chat.connect(alice)
    assert_error(ack(sock, "join", {"room": "circle"}), "not_member")
    db.session.add(RoomMember(room_id=room.id, user_id=alice.id))
    db.session.commit()
    assert ack(sock, "join", {"room": "circle"})["ok"] is True


def test_guidelines_must_be_accepted_before_posting_but_not_reading(app, chat, welcome):
    sock = chat.connect(member(accepted=False))
    assert ack(sock, "join", {"room": "welcome"})["ok"] is True
    assert_error(send(sock), "guidelines")


def test_locked_room_is_read_only_for_members_not_moderators(app, chat, welcome):
    welcome.locked = True
    db.session.commit()
    assert_error(send(chat.connect(member())), "locked")
    assert send(chat.connect(member(roles=(Role.MODERATOR,))))["ok"] is True


@pytest.mark.parametrize("kind, code", [(RestrictionKind.MUTE, "muted"), (RestrictionKind.BAN, "banned")])
def test_muted_and_banned(app, chat, welcome, kind, code):
    alice, mod = member(), member(roles=(Role.MODERATOR,))
    db.session.add(
        RoomRestriction(
            room_id=welcome.id,
            user_id=alice.id,
            kind=kind.value,
            created_by_id=mod.id,
            until=utcnow() + timedelta(minutes=5),
        )
    )
    db.session.commit()
    sock = chat.connect(alice)
    assert_error(send(sock), code)
    join = ack(sock, "join", {"room": "welcome"})
    if kind == RestrictionKind.BAN:
        assert_error(join, "banned")
    else:
        assert join["ok"] is True and join["room"]["may_post"] == "muted"


def test_an_expired_mute_no_longer_applies(app, chat, welcome):
    alice, mod = member(), member(roles=(Role.MODERATOR,))
    db.session.add(
        RoomRestriction(
            room_id=welcome.id,
            user_id=alice.id,
            kind="mute",
            created_by_id=mod.id,
            until=utcnow() - timedelta(seconds=1),
        )
    )
    db.session.commit()
    assert send(chat.connect(alice))["ok"] is True


def test_rate_limited_after_a_burst_of_five(app, chat, welcome):
    sock = chat.connect(member())
    assert all(send(sock, f"m{n}")["ok"] for n in range(5))
    reply = send(sock, "sixth")
    assert_error(reply, "rate_limited")
    assert isinstance(reply["retry_after"], int) and 1 <= reply["retry_after"] <= 10
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 5


def test_rate_limit_is_per_person(app, chat, welcome):
    a, b = chat.connect(member()), chat.connect(member())
    for n in range(5):
        send(a, f"m{n}")
    assert send(b)["ok"] is True


def test_rate_limit_off_when_disabled(app, chat, welcome):
    app.config["RATELIMIT_ENABLED"] = False
    sock = chat.connect(member())
    assert all(send(sock, f"m{n}")["ok"] for n in range(8))


def test_a_resend_is_not_rate_limited(app, chat, welcome):
    sock = chat.connect(member())
    cid = new_id()
    first = send(sock, "once", client_id=cid)
    for n in range(4):
        send(sock, f"m{n}")
    assert send(sock, "once", client_id=cid) == first


def test_slow_mode(app, chat, welcome):
    welcome.slow_mode_seconds = 30
    db.session.commit()
    sock = chat.connect(member())
    assert send(sock, "one")["ok"] is True
    reply = send(sock, "two")
    assert_error(reply, "slow_mode")
    assert 1 <= reply["retry_after"] <= 30


def test_slow_mode_does_not_apply_to_moderators(app, chat, welcome):
    welcome.slow_mode_seconds = 30
    db.session.commit()
    sock = chat.connect(member(roles=(Role.MODERATOR,)))
    assert send(sock, "one")["ok"] and send(sock, "two")["ok"]


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
def test_empty(app, chat, welcome, body):
    assert_error(send(chat.connect(member()), body), "empty")


def test_too_long(app, chat, welcome):
    sock = chat.connect(member())
    assert_error(send(sock, "x" * 2001), "too_long")
    assert send(sock, "x" * 2000)["ok"] is True
    assert_error(send(sock, "y" * 10_000), "too_long")


def test_blocked_by_a_watched_word(app, chat, welcome):
    db.session.add(WatchedWord(phrase="buy now", action="block"))
    db.session.commit()
    sock = chat.connect(member())
    assert_error(send(sock, "Great deal, BUY   NOW!"), "blocked")
    assert send(sock, "I will buy nowhere near that")["ok"] is True
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1


def test_held_by_a_watched_word(app, chat, welcome):
    db.session.add(WatchedWord(phrase="my number is", action="hold"))
    db.session.commit()
    other = chat.connect(member())
    ack(other, "join", {"room": "welcome"})
    reply = send(chat.connect(member()), "call me, my number is 555")
    assert_error(reply, "held_for_review")
    assert db.session.scalar(sa.select(Message.status)) == "held"
    assert received(other, "message") == []


def test_flagged_by_a_watched_word_is_posted_and_queued(app, chat, welcome):
    from portal.rooms.models import Flag

    db.session.add(WatchedWord(phrase="pills", action="flag"))
    db.session.commit()
    assert send(chat.connect(member()), "where do I get pills")["ok"] is True
    assert db.session.scalar(sa.select(Flag.kind)) == "watched"


def test_held_for_review_for_a_new_members_first_three_messages_per_room(app, chat, welcome):
    newcomer = member(established=False)
    sock = chat.connect(newcomer)
    for n in range(3):
        assert_error(send(sock, f"hi {n}"), "held_for_review")
    assert db.session.scalar(sa.select(sa.func.count(Message.id)).filter_by(status="held")) == 3


def test_established_members_are_not_premoderated(app, chat, welcome):
    assert send(chat.connect(member(established=True)))["ok"] is True


def test_resending_a_held_message_stays_held_and_is_stored_once(app, chat, welcome):
    sock = chat.connect(member(established=False))
    cid = new_id()
    assert_error(send(sock, "hi", client_id=cid), "held_for_review")
    assert_error(send(sock, "hi", client_id=cid), "held_for_review")
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1


MALFORMED = [
    None,
    "join me",
    42,
    ["welcome"],
    {},
    {"room": 5},
    {"room": None},
    {"room": "x" * 65},
    {"room": "welcome", "after_id": "7"},
    {"room": "welcome", "after_id": -1},
    {"room": "welcome", "after_id": 10**30},
    {"room": "welcome", "after_id": True},
    {"room": "welcome", "after_id": 1.5},
]


@pytest.mark.parametrize("payload", MALFORMED)
def test_join_with_malformed_payload_is_invalid(app, chat, welcome, payload):
    assert_error(ack(chat.connect(member()), "join", payload), "invalid")


SEND_MALFORMED = [
    {"room": "welcome", "body": "hi"},
    {"room": "welcome", "body": "hi", "client_id": "not-a-uuid"},
    {"room": "welcome", "body": "hi", "client_id": 12345},
    {"room": "welcome", "body": "hi", "client_id": "a" * 5000},
    {"room": "welcome", "body": ["hi"], "client_id": "0b7f4f1e-6f55-4a8e-9d3c-6f8f7f2f9a10"},
    {"room": "welcome", "body": {"$ne": 1}, "client_id": "0b7f4f1e-6f55-4a8e-9d3c-6f8f7f2f9a11"},
    {"room": "welcome", "body": None, "client_id": "0b7f4f1e-6f55-4a8e-9d3c-6f8f7f2f9a12"},
    "hello",
]


@pytest.mark.parametrize("payload", SEND_MALFORMED)
def test_send_with_malformed_payload_is_invalid(app, chat, welcome, payload):
    assert_error(ack(chat.connect(member()), "send", payload), "invalid")
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"room": "welcome"},
        {"room": "welcome", "before_id": "9"},
        {"room": "welcome", "before_id": 0},
        {"room": "welcome", "before_id": 2**64},
        {"room": "welcome", "before_id": 9, "limit": 0},
        {"room": "welcome", "before_id": 9, "limit": "10"},
    ],
)
def test_history_with_malformed_payload_is_invalid(app, chat, welcome, payload):
    assert_error(ack(chat.connect(member()), "history", payload), "invalid")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"message_id": "1"},
        {"message_id": 2**70},
        {"message_id": 1, "reason": 5},
        {"message_id": 1, "reason": "x" * 301},
        [1],
    ],
)
def test_flag_with_malformed_payload_is_invalid(app, chat, welcome, payload):
    sock = chat.connect(member())
    mid = send(sock)["message"]["id"]
    if isinstance(payload, dict) and payload.get("message_id") == 1:
        payload = payload | {"message_id": mid}
    assert_error(ack(sock, "flag", payload), "invalid")


def test_leave_and_typing_with_malformed_payload(app, chat, welcome):
    sock = chat.connect(member())
    assert_error(ack(sock, "leave", {"room": 7}), "invalid")
    assert_error(ack(sock, "typing", "welcome"), "invalid")
    assert sock.is_connected("/chat")
