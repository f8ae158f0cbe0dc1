"""Moderators' rules: the review queue and the actions on it. Each action is recorded, audited
and told to the person it affects; the caller broadcasts what changed (see `effects`)."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal import audit
from portal.auth.sessions import revoke_user_sessions
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.services import internal_path, notify
from portal.rooms import broadcast, conversation, crisis
from portal.rooms.errors import RoomError
from portal.rooms.models import (
    Flag,
    FlagKind,
    Message,
    MessageStatus,
    ModerationAction,
    Notice,
    RestrictionKind,
    RoomRestriction,
    Suspension,
)
from portal.rooms.services import message_payload
from portal.security import Role

QUEUE_ORDER = {FlagKind.CRISIS.value: 0}


class Outcome:
    """What a moderation action changed, for the caller to broadcast after commit."""

    def __init__(self, action, notice=None, removed=None, approved=None, drop=None, context=None):
        self.action = action
        self.notice = notice  # (user_id, text)
        self.removed = removed  # Message hidden
        self.approved = approved  # Message now visible
        self.drop = drop  # (user_id, room slug)
        self.context = context  # the approved message's reply and mentions (conversation.on_release)


def publish(outcome):
    """Broadcast what a committed action changed (suspensions end sockets via sessions_revoked)."""
    if outcome.removed is not None:
        broadcast.message_removed(outcome.removed.id, outcome.removed.room.slug)
    if outcome.approved is not None:
        broadcast.message(message_payload(outcome.approved))
        if outcome.context is not None:
            conversation.announce_context(outcome.context, outcome.approved.author_id)
    if outcome.drop is not None:
        broadcast.remove_from_room(*outcome.drop)
    if outcome.notice is not None:
        broadcast.notice(*outcome.notice)


def review_queue():
    """Open items: crisis alerts first, then flags, then held messages, oldest first within each."""
    flags = db.session.scalars(sa.select(Flag).filter_by(resolved_at=None).order_by(Flag.created_at)).all()
    flags.sort(key=lambda f: QUEUE_ORDER.get(f.kind, 1))
    held = db.session.scalars(
        sa.select(Message)
        .where(Message.status == MessageStatus.HELD, Message.removed_at.is_(None))
        .order_by(Message.id)
    ).all()
    return flags, held


def oldest_queued_at():
    """When the oldest item still waiting in the review queue arrived (None: nothing waits)."""
    flag = db.session.scalar(sa.select(sa.func.min(Flag.created_at)).filter_by(resolved_at=None))
    held = db.session.scalar(
        sa.select(sa.func.min(Message.created_at)).where(
            Message.status == MessageStatus.HELD, Message.removed_at.is_(None)
        )
    )
    found = [t for t in (flag, held) if t is not None]
    return min(found) if found else None


def queue_size():
    flags = db.session.scalar(sa.select(sa.func.count(Flag.id)).filter_by(resolved_at=None))
    held = db.session.scalar(
        sa.select(sa.func.count(Message.id)).where(Message.status == MessageStatus.HELD, Message.removed_at.is_(None))
    )
    return flags + held


def _record(moderator, action, reason="", target=None, room=None, message=None, until=None):
    row = ModerationAction(
        moderator=moderator,
        action=action,
        reason=reason,
        target_user=target,
        room=room,
        message_id=message.id if message else None,
        until=until,
    )
    db.session.add(row)
    detail = {"reason": reason} if reason else {}
    if room is not None:
        detail["room"] = room.slug
    if message is not None:
        detail["message_id"] = message.id
    if until is not None:
        detail["until"] = until.isoformat()
    audit.record(
        f"moderation.{action}",
        actor=moderator,
        object_type="users" if target else "room_messages",
        object_id=target.id if target else (message.id if message else None),
        detail=detail,
    )
    return row


def _tell(user, text):
    db.session.add(Notice(user_id=user.id, text=text[:500]))
    return (user.id, text)


def _resolve_flags(moderator, message, resolution):
    for flag in db.session.scalars(sa.select(Flag).filter_by(message_id=message.id, resolved_at=None)):
        flag.resolved_at = utcnow()
        flag.resolved_by_id = moderator.id
        flag.resolution = resolution


def _resolve_person_flags(moderator, user, resolution):
    """Acting on a person (warn, mute, ban, suspend) settles every open item about them: flags on
    any of their messages and flags on their display name. Crisis items stay: a sanction is
    not the check-in a person in crisis needs."""
    about_messages = sa.select(Message.id).where(Message.author_id == user.id)
    for flag in db.session.scalars(
        sa.select(Flag).where(
            Flag.resolved_at.is_(None),
            Flag.kind != FlagKind.CRISIS,
            sa.or_(Flag.message_id.in_(about_messages), Flag.subject_user_id == user.id),
        )
    ):
        flag.resolved_at = utcnow()
        flag.resolved_by_id = moderator.id
        flag.resolution = resolution


def flag_by_id(flag_id):
    flag = db.session.get(Flag, flag_id)
    if flag is None:
        raise RoomError("not_found")
    return flag


def dismiss_flag(moderator, flag):
    flag.resolved_at = utcnow()
    flag.resolved_by_id = moderator.id
    flag.resolution = "dismissed"
    if flag.message is not None and flag.kind == FlagKind.CRISIS:
        crisis.mark_handled(moderator, flag.message, "dismissed")
    target = flag.subject_user
    _record(moderator, "dismiss", target=target, message=flag.message)
    db.session.commit()
    return Outcome("dismiss")


def approve_message(moderator, message):
    """Release a held message. The release is claimed by a conditional UPDATE (still held, not
    removed), so of two moderators pressing "approve" at once, or one pressing it twice, only
    the first goes on — and the people the message mentions are told once; a hidden message is
    never released, so they are never told of it."""
    claimed = db.session.execute(
        sa.update(Message)
        .where(Message.id == message.id, Message.status == MessageStatus.HELD, Message.removed_at.is_(None))
        .values(status=MessageStatus.VISIBLE.value)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise RoomError("not_found")
    db.session.refresh(message)
    context = conversation.on_release(message)
    _resolve_flags(moderator, message, "approved")
    crisis.mark_handled(moderator, message, "released")
    _record(moderator, "approve", target=message.author, room=message.room, message=message)
    notice = _tell(
        message.author, _("Your message in “%(room)s” was approved and is now visible.", room=message.room.name)
    )
    db.session.commit()
    return Outcome("approve", notice=notice, approved=message, context=context)


def hide_message(moderator, message, reason):
    if message.removed_at is not None:
        raise RoomError("not_found")
    message.removed_at = utcnow()
    message.removed_by_id = moderator.id
    message.removed_reason = reason
    _resolve_flags(moderator, message, "hidden")
    crisis.mark_handled(moderator, message, "hidden")
    _record(moderator, "hide", reason, target=message.author, room=message.room, message=message)
    notice = _tell(
        message.author,
        _("A moderator removed your message in “%(room)s”. Reason: %(reason)s", room=message.room.name, reason=reason),
    )
    notify(
        message.author,
        "post_hidden",
        url=internal_path("rooms.room", slug=message.room.slug),
        room=message.room.name,
        reason=reason,
    )
    db.session.commit()
    return Outcome("hide", notice=notice, removed=message)


def warn_user(moderator, user, reason, room=None):
    _record(moderator, "warn", reason, target=user, room=room)
    _resolve_person_flags(moderator, user, "warned")
    notice = _tell(user, _("A note from the moderators: %(reason)s", reason=reason))
    notify(user, "moderation_warning", reason=reason)
    db.session.commit()
    return Outcome("warn", notice=notice)


def restrict_user(moderator, user, room, kind, reason, minutes=None):
    """Mute (may read, not post) or ban (may not enter) user in room, for minutes or for good."""
    until = utcnow() + timedelta(minutes=minutes) if minutes else None
    db.session.add(
        RoomRestriction(
            room_id=room.id, user_id=user.id, kind=kind, reason=reason, until=until, created_by_id=moderator.id
        )
    )
    _record(moderator, kind, reason, target=user, room=room, until=until)
    _resolve_person_flags(moderator, user, str(kind))
    if kind == RestrictionKind.MUTE:
        text = (
            _(
                "A moderator paused your posting in “%(room)s” for %(minutes)s minutes. Reason: %(reason)s",
                room=room.name,
                minutes=minutes,
                reason=reason,
            )
            if minutes
            else _("A moderator paused your posting in “%(room)s”. Reason: %(reason)s", room=room.name, reason=reason)
        )
    else:
        text = _("A moderator removed you from “%(room)s”. Reason: %(reason)s", room=room.name, reason=reason)
    notice = _tell(user, text)
    db.session.commit()
    drop = (user.id, room.slug) if kind == RestrictionKind.BAN else None
    return Outcome(kind, notice=notice, drop=drop)


def may_suspend(moderator, user):
    """Admins suspend anyone; a moderator suspends family members only, never staff."""
    return not user.is_staff or moderator.has_role(Role.ADMIN)


def suspend_user(moderator, user, reason, days=None):
    """Suspend the account from the rooms and end its sessions (its sockets are dropped)."""
    if user.id == moderator.id:
        raise RoomError("invalid")
    if not may_suspend(moderator, user):
        raise RoomError("admin_only")
    until = utcnow() + timedelta(days=days) if days else None
    db.session.add(Suspension(user_id=user.id, reason=reason, until=until, created_by_id=moderator.id))
    _record(moderator, "suspend", reason, target=user, until=until)
    _resolve_person_flags(moderator, user, "suspended")
    notice = _tell(user, _("Your account was suspended from the rooms. Reason: %(reason)s", reason=reason))
    db.session.commit()
    revoke_user_sessions(user, "suspended")
    db.session.commit()
    return Outcome("suspend", notice=notice)


def lift_suspension(moderator, user):
    if not may_suspend(moderator, user):
        raise RoomError("admin_only")
    for row in db.session.scalars(sa.select(Suspension).filter_by(user_id=user.id, lifted_at=None)):
        row.lifted_at = utcnow()
    _record(moderator, "unsuspend", target=user)
    notice = _tell(user, _("Your suspension from the rooms has ended. Welcome back."))
    db.session.commit()
    return Outcome("unsuspend", notice=notice)


def author_history(user, limit=20):
    """What a moderator weighs before acting on a person from a message's page in the room:
    their newest messages in every room — held and removed ones too, each with its state — and
    the newest actions taken about them. Returns (messages, actions), newest first."""
    messages = db.session.scalars(
        sa.select(Message).filter_by(author_id=user.id).order_by(Message.id.desc()).limit(limit)
    ).all()
    return messages, recent_actions(limit, about=user)


def recent_actions(limit=50, about=None):
    """The newest moderation actions (about one person, when given), newest first, each with its
    moderator (every list of them names who acted: not one statement per moderator)."""
    query = (
        sa.select(ModerationAction)
        .options(joinedload(ModerationAction.moderator))
        .order_by(ModerationAction.created_at.desc())
        .limit(limit)
    )
    if about is not None:
        query = query.filter_by(target_user_id=about.id)
    return db.session.scalars(query).all()


def dismiss_message_flags(moderator, message):
    """Resolve every open flag on a message as 'nothing wrong'."""
    _resolve_flags(moderator, message, "dismissed")
    crisis.mark_handled(moderator, message, "dismissed")
    _record(moderator, "dismiss", target=message.author, room=message.room, message=message)
    db.session.commit()
    return Outcome("dismiss")
