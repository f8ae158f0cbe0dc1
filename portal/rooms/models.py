"""Rooms, messages, read markers, guidelines acceptance and the moderation records."""

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db

EDIT_WINDOW = timedelta(minutes=10)


class RoomKind(enum.StrEnum):
    ALL_FAMILIES = "all_families"
    PROGRAM = "program"
    INVITE_ONLY = "invite_only"


class Room(db.Model):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default=RoomKind.ALL_FAMILIES)
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id"), index=True)
    locked: Mapped[bool] = mapped_column(default=False)
    slow_mode_seconds: Mapped[int] = mapped_column(default=0)
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The language the room is held in (its name, description and messages carry it as `lang`).
    language: Mapped[str] = mapped_column(sa.String(10), default="en", server_default="en")

    program: Mapped["Program | None"] = relationship()  # noqa: F821

    def __repr__(self):
        return f"<Room {self.slug}>"

    def as_payload(self):
        """The room as sent to socket clients (no member lists, no program details)."""
        return {
            "slug": self.slug,
            "name": self.name,
            "description_html": self.description_html,
            "kind": self.kind,
            "locked": self.locked,
            "slow_mode_seconds": self.slow_mode_seconds,
            "archived": self.archived,
        }


class RoomMember(db.Model):
    """An invitation to an invite-only room."""

    __tablename__ = "room_members"
    __table_args__ = (sa.UniqueConstraint("room_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageStatus(enum.StrEnum):
    VISIBLE = "visible"
    HELD = "held"


class Message(db.Model):
    __tablename__ = "room_messages"
    __table_args__ = (
        sa.UniqueConstraint("author_id", "client_id"),
        sa.Index("ix_room_messages_room_id_id", "room_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default=MessageStatus.VISIBLE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Removed by the author ("deleted") or by a moderator ("hidden"); the row stays for the record.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str | None] = mapped_column(sa.String(200))
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    room: Mapped[Room] = relationship(lazy="joined")
    author: Mapped["User"] = relationship(foreign_keys=[author_id], lazy="joined")  # noqa: F821
    # The author's highest staff role ("" for none), loaded with the message by the rooms'
    # reading queries (conversation.page) for the badge; None when the query did not load it.
    author_staff_role: Mapped[str | None] = query_expression()

    @property
    def is_visible(self):
        return self.status == MessageStatus.VISIBLE and self.removed_at is None

    @property
    def is_held(self):
        return self.status == MessageStatus.HELD and self.removed_at is None

    def editable_by(self, user, now=None):
        now = now or utcnow()
        return self.author_id == user.id and self.removed_at is None and now - self.created_at <= EDIT_WINDOW


class ReadMarker(db.Model):
    """The newest message id a person has seen in a room (unread counts, the divider)."""

    __tablename__ = "room_read_markers"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    last_read_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GuidelinesAcceptance(db.Model):
    __tablename__ = "room_guidelines_acceptances"
    __table_args__ = (sa.UniqueConstraint("user_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(sa.String(20))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlagKind(enum.StrEnum):
    MEMBER = "member"  # a person flagged the message
    CRISIS = "crisis"  # the crisis phrase list matched: priority alert
    WATCHED = "watched"  # a watched word with action "flag" matched
    NAME = "name"  # a display name matched a watched word


class Flag(db.Model):
    """One item in the moderators' review queue (besides held messages)."""

    __tablename__ = "room_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default=FlagKind.MEMBER)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room_messages.id", ondelete="CASCADE"), index=True)
    subject_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(sa.String(20))

    message: Mapped[Message | None] = relationship(lazy="joined")
    subject_user: Mapped["User | None"] = relationship(foreign_keys=[subject_user_id])  # noqa: F821
    reporter: Mapped["User | None"] = relationship(foreign_keys=[reporter_id])  # noqa: F821


class ModerationAction(db.Model):
    __tablename__ = "room_moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    target_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room_messages.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    moderator: Mapped["User"] = relationship(foreign_keys=[moderator_id])  # noqa: F821
    target_user: Mapped["User | None"] = relationship(foreign_keys=[target_user_id])  # noqa: F821
    room: Mapped[Room | None] = relationship()


class RestrictionKind(enum.StrEnum):
    MUTE = "mute"
    BAN = "ban"


class RoomRestriction(db.Model):
    """A mute (may read, may not post) or ban (may not enter) in one room, until a time or for good."""

    __tablename__ = "room_restrictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[Room] = relationship()
    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    created_by: Mapped["User"] = relationship(foreign_keys=[created_by_id])  # noqa: F821

    def is_active(self, now=None):
        now = now or utcnow()
        return self.lifted_at is None and (self.until is None or now < self.until)


class Suspension(db.Model):
    """An account suspended from the rooms (lessons and the calendar stay open to them)."""

    __tablename__ = "room_suspensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def is_active(self, now=None):
        now = now or utcnow()
        return self.lifted_at is None and (self.until is None or now < self.until)


class WatchedAction(enum.StrEnum):
    BLOCK = "block"
    HOLD = "hold"
    FLAG = "flag"


class WatchedWord(db.Model):
    __tablename__ = "room_watched_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(sa.String(100), unique=True)
    action: Mapped[str] = mapped_column(sa.String(10))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notice(db.Model):
    """A note from the moderators to one person (warned, muted, message hidden...)."""

    __tablename__ = "room_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppealKind(enum.StrEnum):
    BAN = "ban"
    MUTE = "mute"
    SUSPENSION = "suspension"


class Appeal(db.Model):
    """A person's one appeal against one sanction (a ban or mute in a room, or a suspension)."""

    __tablename__ = "room_appeals"
    __table_args__ = (sa.UniqueConstraint("kind", "sanction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    # A room_restrictions id (ban, mute) or a room_suspensions id (suspension).
    sanction_id: Mapped[int] = mapped_column()
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(sa.String(12))  # "lifted" or "upheld"
    response: Mapped[str] = mapped_column(sa.String(300), default="")

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    room: Mapped[Room | None] = relationship()


class OnCall(db.Model):
    """A staff member on call for crisis posts in one program's rooms (program_id NULL: the
    public rooms). Everyone not marked backup is alerted at once; backups, in position order,
    are alerted one by one while an alert stays unhandled (portal/rooms/crisis.py)."""

    __tablename__ = "room_on_call"
    __table_args__ = (sa.UniqueConstraint("program_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    backup: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821
    program: Mapped["Program | None"] = relationship()  # noqa: F821


class CrisisAlert(db.Model):
    """One crisis post held for staff: who was alerted, how far it escalated, who handled it."""

    __tablename__ = "room_crisis_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("room_messages.id", ondelete="CASCADE"), unique=True)
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many backups were alerted so far, and when the last alert went out.
    escalations: Mapped[int] = mapped_column(default=0)
    last_alert_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    message: Mapped[Message] = relationship()


class CheckIn(db.Model):
    """A private thread a staff member starts with one member (about a message or a queue
    item). Only staff start them; the member may answer; members never message each other."""

    __tablename__ = "room_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped["User"] = relationship(foreign_keys=[member_id])  # noqa: F821
    started_by: Mapped["User"] = relationship(foreign_keys=[started_by_id])  # noqa: F821
    posts: Mapped[list["CheckInPost"]] = relationship(order_by="CheckInPost.id", cascade="all, delete-orphan")


class CheckInPost(db.Model):
    __tablename__ = "room_checkin_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(sa.ForeignKey("room_checkins.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Every reader of a post shows its author's name and staff mark (the thread page, checkin_posts,
    # the live post): loaded with the post, not one statement per author.
    author: Mapped["User"] = relationship(lazy="joined")  # noqa: F821
