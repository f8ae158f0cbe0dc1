"""Moderators' room settings and watched words."""

import re

import sqlalchemy as sa
from flask import g

from portal import audit
from portal.extensions import db
from portal.rooms.errors import RoomError
from portal.rooms.models import Room, RoomKind, RoomMember, WatchedWord
from portal.sanitize import markdown_to_html

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def create_room(moderator, slug, name, description, kind, program_id=None, slow_mode_seconds=0):
    if not SLUG.match(slug or "") or db.session.scalar(sa.select(Room.id).filter_by(slug=slug)):
        raise RoomError("invalid")
    if kind == RoomKind.PROGRAM and not program_id:
        raise RoomError("invalid")
    room = Room(
        slug=slug,
        name=name.strip(),
        kind=kind,
        program_id=program_id if kind == RoomKind.PROGRAM else None,
        slow_mode_seconds=slow_mode_seconds or 0,
    )
    _describe(room, description)
    db.session.add(room)
    db.session.flush()
    audit.record("room.created", actor=moderator, obj=room, detail={"slug": slug, "kind": kind})
    db.session.commit()
    return room


def _describe(room, description):
    room.description = (description or "").strip()
    room.description_html = str(markdown_to_html(room.description))


def update_room(moderator, room, name, description, locked, slow_mode_seconds, archived):
    """Change a room's settings; commits. The caller broadcasts room_updated."""
    room.name = name.strip()
    _describe(room, description)
    changes = {"locked": bool(locked), "slow_mode_seconds": int(slow_mode_seconds or 0), "archived": bool(archived)}
    for key, value in changes.items():
        setattr(room, key, value)
    audit.record("room.updated", actor=moderator, obj=room, detail={"slug": room.slug, **changes})
    db.session.commit()
    return room


def invite(moderator, room, user):
    """Let user (None: no account has the address given; nothing happens) into an invite-only room."""
    if room.kind != RoomKind.INVITE_ONLY:
        raise RoomError("invalid")
    if user is None:
        return
    exists = db.session.scalar(sa.select(RoomMember.id).filter_by(room_id=room.id, user_id=user.id))
    if exists is None:
        db.session.add(RoomMember(room_id=room.id, user_id=user.id, invited_by_id=moderator.id))
        audit.record(
            "room.invited", actor=moderator, object_type="users", object_id=user.id, detail={"room": room.slug}
        )
        db.session.commit()


def all_rooms():
    return db.session.scalars(sa.select(Room).order_by(Room.archived, Room.name)).all()


def add_watched_word(moderator, phrase, action):
    phrase = " ".join((phrase or "").split()).casefold()
    if not phrase or len(phrase) > 100:
        raise RoomError("invalid")
    row = db.session.scalar(sa.select(WatchedWord).filter_by(phrase=phrase))
    if row is None:
        row = WatchedWord(phrase=phrase, action=action, created_by_id=moderator.id)
        db.session.add(row)
    else:
        row.action = action
    audit.record("moderation.watched_word", actor=moderator, detail={"phrase": phrase, "action": action})
    db.session.commit()
    g.pop("rooms_watched_words", None)
    return row


def remove_watched_word(moderator, word):
    audit.record("moderation.watched_word_removed", actor=moderator, detail={"phrase": word.phrase})
    db.session.delete(word)
    db.session.commit()
    g.pop("rooms_watched_words", None)


def watched_words():
    return db.session.scalars(sa.select(WatchedWord).order_by(WatchedWord.phrase)).all()
