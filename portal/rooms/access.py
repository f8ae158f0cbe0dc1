"""Who may read and post in which room, right now (re-checked on every join and send)."""

import functools
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

import sqlalchemy as sa

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


PREMODERATION_COUNT = 3  # a new member's first 3 messages in each room wait for a moderator


@dataclass(frozen=True)
class RoomRules:
    """What one request or socket event knows about a person and a room, read in one statement
    by `load_rules`. The checks below take it instead of asking one question each; it lives only
    as long as the request or event that read it, so the next one sees a moderator's change."""

    user_id: int
    slug: str
    room: Room | None
    suspension: Suspension | None
    accepted_guidelines: bool
    invited: bool = False
    #: kind -> the mute or ban in force in this room
    restrictions: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    #: For a send (`client_id` set): the message already stored under it, the author's newest
    #: message time in this room (slow mode) and their approved count (pre-moderation).
    client_id: str | None = None
    existing_id: int | None = None
    last_post_at: datetime | None = None
    approved: int | None = None

    def about(self, user, room=None):
        """Whether these answers are this person's (and, given a room, about that room)."""
        if self.user_id != user.id:
            return False
        return room is None or (self.room is not None and self.room.id == room.id)

    def for_send(self, user, room):
        """Whether this holds the send facts (existing message, slow mode, pre-moderation)."""
        return self.client_id is not None and self.about(user, room)


def active_suspension(user, now=None, rules=None):
    """The person's current suspension, or None."""
    if rules is not None and rules.about(user):
        return rules.suspension
    rows = db.session.scalars(sa.select(Suspension).filter_by(user_id=user.id, lifted_at=None)).all()
    return next((row for row in rows if row.is_active(now)), None)


def active_restrictions(user, room, now=None):
    """The person's mute and ban in force in room, by kind (one statement for both)."""
    rows = db.session.scalars(
        sa.select(RoomRestriction).filter_by(user_id=user.id, room_id=room.id, lifted_at=None)
    ).all()
    return {row.kind: row for row in rows if row.is_active(now)}


def active_restriction(user, room, kind, now=None, rules=None):
    """The person's current mute or ban in room, or None."""
    if rules is not None and rules.about(user, room):
        return rules.restrictions.get(kind)
    return active_restrictions(user, room, now).get(kind)


def has_accepted_guidelines(user, rules=None):
    if rules is not None and rules.about(user):
        return rules.accepted_guidelines
    query = sa.select(GuidelinesAcceptance.id).filter_by(user_id=user.id, version=guidelines.VERSION)
    return db.session.scalar(query) is not None


def room_by_slug(slug, rules=None):
    """The room with that slug, or RoomError("not_found") (archived rooms included)."""
    if rules is not None and slug and rules.slug == slug:
        room = rules.room
    else:
        room = db.session.scalar(sa.select(Room).filter_by(slug=slug)) if slug else None
    if room is None:
        raise RoomError("not_found")
    return room


def in_force(model, user_id, now):
    """The conditions of a row of model (Suspension, RoomRestriction) of user_id (a value or a
    column) in force at now: the rule of model.is_active(now), in SQL."""
    return (model.user_id == user_id, model.lifted_at.is_(None), sa.or_(model.until.is_(None), model.until > now))


def _active(model, *where):
    """The id of one row of model (Suspension, RoomRestriction) of :uid in force at :now, as a
    subquery: the same rule as model.is_active(now)."""
    now = sa.bindparam("now", type_=UTCDateTime())
    return sa.select(model.id).where(*in_force(model, sa.bindparam("uid"), now), *where).limit(1).scalar_subquery()


@functools.cache
def _rules_query(send, slow_mode, premoderation):
    """The statement of load_rules for one shape (built once: building costs more than running)."""
    uid = sa.bindparam("uid")
    in_room = (RoomRestriction.room_id == Room.id,)
    columns = [
        _active(Suspension).label("suspension_id"),
        _active(RoomRestriction, *in_room, RoomRestriction.kind == RestrictionKind.BAN).label("ban_id"),
        _active(RoomRestriction, *in_room, RoomRestriction.kind == RestrictionKind.MUTE).label("mute_id"),
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
            sa.select(sa.literal(1)).where(*mine, Message.status == MessageStatus.VISIBLE).limit(PREMODERATION_COUNT)
        )
        columns.append(sa.select(sa.func.count()).select_from(approved.subquery()).scalar_subquery().label("approved"))
    one_row = sa.select(sa.literal(1).label("one")).subquery()
    return sa.select(Room, *columns).select_from(one_row).outerjoin(Room, Room.slug == sa.bindparam("slug"))


def load_rules(user, slug, client_id=None, now=None):
    """Everything the room events ask about this person and this room, in one statement: a RoomRules.

    The person's suspension, the room, their ban and mute there, their guidelines acceptance and
    invitation; for a send (`client_id`, already a valid UUID string) also the message already
    stored under that client_id, their newest message time (slow mode) and their approved count
    (pre-moderation). Rows that are found (a suspension, a mute) are then loaded in full, which
    only happens on the refusal path.
    """
    now = now or utcnow()
    moderator = is_moderator(user)
    send = client_id is not None
    slow_mode, premoderation = send and not moderator, send and not moderator and not user.established
    query = _rules_query(send, slow_mode, premoderation)
    params = {"uid": user.id, "now": now, "slug": slug} | ({"cid": client_id} if send else {})
    row = db.session.execute(query, params).one()
    room = row.Room
    suspension = _in_force(Suspension, row.suspension_id, now)
    rules = RoomRules(
        user_id=user.id, slug=slug, room=room, suspension=suspension, accepted_guidelines=bool(row.accepted)
    )
    if room is None:
        return rules
    found = (_in_force(RoomRestriction, row_id, now) for row_id in (row.ban_id, row.mute_id))
    restrictions = MappingProxyType({r.kind: r for r in found if r is not None})
    facts = {"restrictions": restrictions, "invited": bool(row.invited)}
    if send:
        facts |= {"client_id": client_id, "existing_id": row.existing_id}
        if slow_mode and room.slow_mode_seconds:
            facts["last_post_at"] = row.last_post_at
        if premoderation:
            facts["approved"] = row.approved
    return replace(rules, **facts)


def _in_force(model, row_id, now):
    """The Suspension or RoomRestriction with this id when it is in force at now, else None."""
    row = db.session.get(model, row_id, populate_existing=True) if row_id is not None else None
    return row if row is not None and row.is_active(now) else None


def may_chat(user, rules=None):
    """Signed in, active, allowed to chat and not suspended."""
    return in_good_standing(user, _can_chat, rules)


def in_good_standing(user, allowed, rules=None):
    """Signed in, active, let in by `allowed(user)` (chatting, or reading check-ins:
    `checkins.may_connect`) and not suspended — the suspension asked last, only of someone
    `allowed` lets in."""
    return (
        getattr(user, "is_authenticated", False)
        and user.active
        and allowed(user)
        and active_suspension(user, rules=rules) is None
    )


def _can_chat(user):
    return user.can(Permission.CHAT)


def is_eligible(user, room, program_ids=None, rules=None):
    """May this person see this room at all (kind rules only)?"""
    if is_moderator(user) or room.kind == RoomKind.ALL_FAMILIES:
        return True
    if room.kind == RoomKind.PROGRAM:
        ids = linked_program_ids(user) if program_ids is None else program_ids
        return room.program_id in ids
    if rules is not None and rules.about(user, room):
        return rules.invited
    return db.session.scalar(sa.select(RoomMember.id).filter_by(room_id=room.id, user_id=user.id)) is not None


def _rules_for(user, room, rules):
    """The given rules when they are about this person and room, else read now (one statement)."""
    if rules is not None and rules.about(user, room):
        return rules
    return load_rules(user, room.slug)


def check_may_read(user, room, rules=None):
    """Raise the contract error that keeps user out of room, if any."""
    rules = _rules_for(user, room, rules)
    if not may_chat(user, rules):
        raise RoomError("unauthorized")
    if room.archived and not is_moderator(user):
        raise RoomError("not_found")
    if not is_eligible(user, room, rules=rules):
        raise RoomError("not_member")
    if active_restriction(user, room, RestrictionKind.BAN, rules=rules) is not None:
        raise RoomError("banned")
    return rules


def check_may_post(user, room, rules=None):
    """Everything check_may_read asks, and the rules for writing."""
    rules = check_may_read(user, room, rules)
    if not has_accepted_guidelines(user, rules):
        raise RoomError("guidelines")
    if (room.locked or room.archived) and not is_moderator(user):
        raise RoomError("locked")
    if active_restriction(user, room, RestrictionKind.MUTE, rules=rules) is not None:
        raise RoomError("muted")
    return rules


def banned_room_ids(user, now=None):
    """The ids of the rooms this person is banned from now."""
    now = now or utcnow()
    return set(
        db.session.scalars(
            sa.select(RoomRestriction.room_id).where(
                *in_force(RoomRestriction, user.id, now), RoomRestriction.kind == RestrictionKind.BAN
            )
        )
    )


def visible_rooms(user):
    """The unarchived rooms this person may enter, by name (a room they are banned from is not
    listed; opening it explains the ban and how to appeal)."""
    rooms = db.session.scalars(sa.select(Room).filter_by(archived=False).order_by(Room.name)).all()
    program_ids = linked_program_ids(user)
    banned = banned_room_ids(user)
    return [room for room in rooms if room.id not in banned and is_eligible(user, room, program_ids)]
