"""Who may read and post in which room, right now (re-checked on every join and send)."""

import functools

import sqlalchemy as sa
from flask import g

from portal.care.access import linked_program_ids
from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.rooms import guidelines
from portal.rooms.errors import RoomError
from portal.rooms.models import (
    GuidelinesAcceptance,
    Message,
    MessageStatus,
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


# What one request or socket event has learnt (`g`, so never shared between events): the rules
# below read these first. `load_rules` fills them all with one statement.
CACHES = (
    "rooms_suspensions",  # user id -> active Suspension or None
    "rooms_restrictions",  # (user id, room id) -> {kind: active RoomRestriction}
    "rooms_guidelines",  # user id -> accepted the current guidelines?
    "rooms_invited",  # (user id, room id) -> a RoomMember row exists?
    "rooms_by_slug",  # slug -> Room or None
    "rooms_sends",  # (author id, client id) -> id of the message already stored, or None
    "rooms_last_post",  # (author id, room id) -> created_at of their newest message there, or None
    "rooms_approved",  # (author id, room id) -> visible messages there, counted up to PREMODERATION_COUNT
)
PREMODERATION_COUNT = 3  # a new member's first 3 messages in each room wait for a moderator


def cache(name):
    return g.setdefault(name, {})


def active_suspension(user, now=None):
    """The person's current suspension, or None (asked once per request or socket event)."""
    known = cache("rooms_suspensions")
    if user.id not in known:
        rows = db.session.scalars(sa.select(Suspension).filter_by(user_id=user.id, lifted_at=None)).all()
        known[user.id] = next((row for row in rows if row.is_active(now)), None)
    return known[user.id]


def active_restriction(user, room, kind, now=None):
    """The person's current mute or ban in room, or None (mutes and bans are read together)."""
    known = cache("rooms_restrictions")
    key = (user.id, room.id)
    if key not in known:
        rows = db.session.scalars(
            sa.select(RoomRestriction).filter_by(user_id=user.id, room_id=room.id, lifted_at=None)
        ).all()
        known[key] = {row.kind: row for row in rows if row.is_active(now)}
    return known[key].get(kind)


def forget_cached_rules():
    """Drop everything this request or event has learnt about people and rooms (after a change,
    and at the start of every socket event)."""
    for name in CACHES:
        g.pop(name, None)


def has_accepted_guidelines(user):
    known = cache("rooms_guidelines")
    if user.id not in known:
        query = sa.select(GuidelinesAcceptance.id).filter_by(user_id=user.id, version=guidelines.VERSION)
        known[user.id] = db.session.scalar(query) is not None
    return known[user.id]


def room_by_slug(slug):
    """The room with that slug, or RoomError("not_found") (archived rooms included)."""
    known = cache("rooms_by_slug")
    if slug not in known:
        known[slug] = db.session.scalar(sa.select(Room).filter_by(slug=slug)) if slug else None
    room = known[slug]
    if room is None:
        raise RoomError("not_found")
    return room


def _active(model, *where):
    """The id of one row of model (Suspension, RoomRestriction) of :uid in force at :now, as a
    subquery: the same rule as model.is_active(now)."""
    until = model.until
    return (
        sa.select(model.id)
        .where(
            model.user_id == sa.bindparam("uid"),
            model.lifted_at.is_(None),
            sa.or_(until.is_(None), until > sa.bindparam("now", type_=UTCDateTime())),
            *where,
        )
        .limit(1)
        .scalar_subquery()
    )


@functools.cache
def _rules_query(send, slow_mode, premoderation):
    """The statement of load_rules for one shape (built once: building costs more than running)."""
    uid = sa.bindparam("uid")
    in_room = (RoomRestriction.room_id == Room.id,)
    columns = [
        _active(Suspension).label("suspension_id"),
        _active(RoomRestriction, *in_room, RoomRestriction.kind == RestrictionKind.BAN.value).label("ban_id"),
        _active(RoomRestriction, *in_room, RoomRestriction.kind == RestrictionKind.MUTE.value).label("mute_id"),
        sa.exists()
        .where(GuidelinesAcceptance.user_id == uid, GuidelinesAcceptance.version == guidelines.VERSION)
        .label("accepted"),
        sa.exists().where(RoomMember.room_id == Room.id, RoomMember.user_id == uid).label("invited"),
    ]
    mine = (Message.room_id == Room.id, Message.author_id == uid)
    if send:
        existing = sa.select(Message.id).where(Message.author_id == uid, Message.client_id == sa.bindparam("cid"))
        columns.append(existing.scalar_subquery().label("existing_id"))
    if slow_mode:
        last = sa.select(sa.func.max(Message.created_at)).where(*mine).scalar_subquery()
        slow = sa.case((Room.slow_mode_seconds > 0, last), else_=None)
        columns.append(sa.type_coerce(slow, UTCDateTime()).label("last_post_at"))
    if premoderation:
        approved = (
            sa.select(sa.literal(1))
            .where(*mine, Message.status == MessageStatus.VISIBLE.value)
            .limit(PREMODERATION_COUNT)
        )
        columns.append(sa.select(sa.func.count()).select_from(approved.subquery()).scalar_subquery().label("approved"))
    one_row = sa.select(sa.literal(1).label("one")).subquery()
    return sa.select(Room, *columns).select_from(one_row).outerjoin(Room, Room.slug == sa.bindparam("slug"))


def load_rules(user, slug, client_id=None, now=None):
    """Everything the room events ask about this person and this room, in one statement.

    The person's suspension, the room, their ban and mute there, their guidelines acceptance and
    invitation; for a send (`client_id`, already a valid UUID string) also the message already
    stored under that client_id, their newest message time (slow mode) and their approved count
    (pre-moderation). The answers go into this event's caches, so the checks below run exactly
    as before but without a statement each. Rows that are found (a suspension, a mute) are then
    loaded in full, which only happens on the refusal path.
    """
    now = now or utcnow()
    uid = user.id
    moderator = is_moderator(user)
    send = client_id is not None
    slow_mode, premoderation = send and not moderator, send and not moderator and not user.established
    query = _rules_query(send, slow_mode, premoderation)
    params = {"uid": uid, "now": now, "slug": slug} | ({"cid": client_id} if send else {})
    row = db.session.execute(query, params).one()
    room = row.Room
    cache("rooms_by_slug")[slug] = room
    cache("rooms_guidelines")[uid] = bool(row.accepted)
    suspension = (
        db.session.get(Suspension, row.suspension_id, populate_existing=True) if row.suspension_id is not None else None
    )
    cache("rooms_suspensions")[uid] = suspension if suspension is not None and suspension.is_active(now) else None
    if room is None:
        return None
    restrictions = {}
    for row_id in (row.ban_id, row.mute_id):
        restriction = db.session.get(RoomRestriction, row_id, populate_existing=True) if row_id is not None else None
        if restriction is not None and restriction.is_active(now):
            restrictions[restriction.kind] = restriction
    cache("rooms_restrictions")[(uid, room.id)] = restrictions
    cache("rooms_invited")[(uid, room.id)] = bool(row.invited)
    if send:
        cache("rooms_sends")[(uid, client_id)] = row.existing_id
    if slow_mode:
        cache("rooms_last_post")[(uid, room.id)] = row.last_post_at if room.slow_mode_seconds else None
    if premoderation:
        cache("rooms_approved")[(uid, room.id)] = row.approved
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
    known = cache("rooms_invited")
    if (user.id, room.id) not in known:
        query = sa.select(RoomMember.id).filter_by(room_id=room.id, user_id=user.id)
        known[(user.id, room.id)] = db.session.scalar(query) is not None
    return known[(user.id, room.id)]


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
