"""Private check-ins: a moderator or counselor writes privately to one member (from a queue
item or a message); the member reads and answers in that thread. Only staff start threads;
members have no way to write to each other privately. Every thread and post is audited
(never the text)."""

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import audit
from portal.extensions import db
from portal.rooms import crisis
from portal.rooms.errors import RoomError
from portal.rooms.models import CheckIn, CheckInPost, Notice
from portal.sanitize import chat_to_html
from portal.security import Permission, Role

MAX_BODY = 2000


def may_start(user):
    """Moderators and counselors start check-ins; no one else."""
    return user.can(Permission.MODERATE) or user.has_role(Role.COUNSELOR)


def may_read(user, thread):
    return user.id == thread.member_id or may_start(user)


def _body(text):
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise RoomError("empty")
    if len(text) > MAX_BODY:
        raise RoomError("too_long")
    return text


def _add(thread, author, text):
    post = CheckInPost(author_id=author.id, body=text, body_html=str(chat_to_html(text)).strip())
    thread.posts.append(post)
    return post


def start(staff, member, text, message=None):
    """Open a thread with its first post and tell the member (the caller publishes the notice)."""
    if not may_start(staff):
        raise RoomError("unauthorized")
    if member.id == staff.id or member.is_staff:
        raise RoomError("invalid")
    text = _body(text)
    thread = CheckIn(member_id=member.id, started_by_id=staff.id, message_id=message.id if message else None)
    db.session.add(thread)
    _add(thread, staff, text)
    db.session.flush()
    if message is not None:
        crisis.mark_handled(staff, message, "checked_in")
    note = _("A staff member sent you a private message. You can read and answer it in the rooms.")
    db.session.add(Notice(user_id=member.id, text=note))
    audit.record("checkin.started", actor=staff, object_type="room_checkins", object_id=thread.id)
    db.session.commit()
    return thread, (member.id, note)


def reply(user, thread, text):
    if not may_read(user, thread):
        raise RoomError("not_found")
    text = _body(text)
    _add(thread, user, text)
    audit.record("checkin.reply", actor=user, object_type="room_checkins", object_id=thread.id)
    db.session.commit()


def threads_of(member):
    return db.session.scalars(
        sa.select(CheckIn).filter_by(member_id=member.id).order_by(CheckIn.created_at.desc())
    ).all()


def recent_threads(limit=50):
    return db.session.scalars(sa.select(CheckIn).order_by(CheckIn.created_at.desc()).limit(limit)).all()
