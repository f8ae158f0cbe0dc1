"""The conversation around messages (issue 12): replies, support reactions, mentions, pins.

Kept in their own tables so the message row, and the Message the /chat contract describes,
stay exactly as they were.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class ReactionKind(enum.StrEnum):
    """The fixed set of support reactions (each shown with a text label, never an emoji alone)."""

    SUPPORT = "support"
    THANKS = "thanks"
    ME_TOO = "me_too"


class Reply(db.Model):
    """A message written as a reply to an earlier one in the same room."""

    __tablename__ = "room_replies"

    message_id: Mapped[int] = mapped_column(sa.ForeignKey("room_messages.id", ondelete="CASCADE"), primary_key=True)
    reply_to_id: Mapped[int] = mapped_column(sa.ForeignKey("room_messages.id", ondelete="CASCADE"), index=True)


class Reaction(db.Model):
    __tablename__ = "room_reactions"
    __table_args__ = (sa.UniqueConstraint("message_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("room_messages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mention(db.Model):
    """A person named with @ in a message (resolved by exact display name when it was posted)."""

    __tablename__ = "room_mentions"
    __table_args__ = (sa.UniqueConstraint("message_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("room_messages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Pin(db.Model):
    """A message a moderator pinned to the top of its room (resources, reminders)."""

    __tablename__ = "room_pins"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("room_messages.id", ondelete="CASCADE"), unique=True)
    pinned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
