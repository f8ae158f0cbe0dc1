"""Who may read and post in which room, right now (re-checked on every join and send)."""

import sqlalchemy as sa
from flask import g

from portal.care.access import linked_program_ids
from portal.extensions import db
from portal.rooms import guidelines
from portal.rooms.errors import RoomError
from portal.rooms.models import (
    GuidelinesAcceptance,
    RestrictionKind,
    Room,
    RoomKind,
    RoomMember,
    RoomRestriction,
    Suspension,
)
from portal.security import Permission


def is_moderator(user):
    return user.can(Permission.MODERATE)


def active_suspension(user, now=None):
    """The person's current suspension, or None (asked once per request or socket event)."""
    cache = g.setdefault("rooms_suspensions", {})
    if user.id not in cache:
        rows = db.session.scalars(sa.select(Suspension).filter_by(user_id=user.id, lifted_at=None)).all()
        cache[user.id] = next((row for row in rows if row.is_active(now)), None)
    return cache[user.id]


def active_restriction(user, room, kind, now=None):
    """The person's current mute or ban in room, or None (mutes and bans are read together)."""
    cache = g.setdefault("rooms_restrictions", {})
    key = (user.id, room.id)
    if key not in cache:
        rows = db.session.scalars(
            sa.select(RoomRestriction).filter_by(user_id=user.id, room_id=room.id, lifted_at=None)
        ).all()
        cache[key] = {row.kind: row for row in rows if row.is_active(now)}
    return cache[key].get(kind)


def forget_cached_rules():
    """Drop what this request has learnt about suspensions and restrictions (after a change)."""
    g.pop("rooms_suspensions", None)
    g.pop("rooms_restrictions", None)


def has_accepted_guidelines(user):
    query = sa.select(GuidelinesAcceptance.id).filter_by(user_id=user.id, version=guidelines.VERSION)
    return db.session.scalar(query) is not None


def room_by_slug(slug):
    """The room with that slug, or RoomError("not_found") (archived rooms included)."""
    room = db.session.scalar(sa.select(Room).filter_by(slug=slug)) if slug else None
    if room is None:
        raise RoomError("not_found")
    return room


def may_chat(user):
    """Signed in, active, allowed to chat and not suspended."""
    return (
        getattr(user, "is_authenticated", False)
        and user.active
        and user.can(Permission.CHAT)
        and active_suspension(user) is None
    )


def is_eligible(user, room, program_ids=None):
    """May this person see this room at all (kind rules only)?"""
    if is_moderator(user) or room.kind == RoomKind.ALL_FAMILIES:
        return True
    if room.kind == RoomKind.PROGRAM:
        ids = linked_program_ids(user) if program_ids is None else program_ids
        return room.program_id in ids
    query = sa.select(RoomMember.id).filter_by(room_id=room.id, user_id=user.id)
    return db.session.scalar(query) is not None


def check_may_read(user, room):
    """Raise the contract error that keeps user out of room, if any."""
    if not may_chat(user):
        raise RoomError("unauthorized")
    if room.archived and not is_moderator(user):
        raise RoomError("not_found")
    if not is_eligible(user, room):
        raise RoomError("not_member")
    if active_restriction(user, room, RestrictionKind.BAN) is not None:
        raise RoomError("banned")


def check_may_post(user, room):
    """Everything check_may_read asks, and the rules for writing."""
    check_may_read(user, room)
    if not has_accepted_guidelines(user):
        raise RoomError("guidelines")
    if (room.locked or room.archived) and not is_moderator(user):
        raise RoomError("locked")
    if active_restriction(user, room, RestrictionKind.MUTE) is not None:
        raise RoomError("muted")


def visible_rooms(user):
    """The unarchived rooms this person may enter, by name."""
    rooms = db.session.scalars(sa.select(Room).filter_by(archived=False).order_by(Room.name)).all()
    program_ids = linked_program_ids(user)
    return [room for room in rooms if is_eligible(user, room, program_ids)]
