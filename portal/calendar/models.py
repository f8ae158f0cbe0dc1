"""Family sessions: recurring series, per-occurrence changes, RSVPs, attendance, feeds, reminders.

An occurrence has no row of its own: it is identified by (series, original start in UTC), the
start the series' rule gives it before any move. Overrides, RSVPs, attendance and reminders all
use that key, so moving a session keeps its RSVPs.
"""

import enum
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db

series_counselors = sa.Table(
    "session_series_counselors",
    db.metadata,
    sa.Column("series_id", sa.ForeignKey("session_series.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Mode(enum.StrEnum):
    IN_PERSON = "in_person"
    TELEHEALTH = "telehealth"


class Response(enum.StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    NOT_GOING = "not_going"


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"


class NotificationKind(enum.StrEnum):
    NEW = "new"
    CHANGED = "changed"
    CANCELLED = "cancelled"
    PROMOTED = "promoted"


# Titles the portal itself gives sessions (the default, the demo's group): shown translated.
DEFAULT_TITLES = {"Family session": _l("Family session"), "Family group": _l("Family group")}


class SessionSeries(db.Model):
    """A family session, once or repeating, for one client's family or a whole program."""

    __tablename__ = "session_series"
    __table_args__ = (sa.CheckConstraint("(client_id IS NULL) <> (program_id IS NULL)", name="one_audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120), default="Family session")
    description_md: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id"), index=True)
    start_local: Mapped[datetime] = mapped_column(sa.DateTime)  # wall-clock time in `timezone`
    timezone: Mapped[str] = mapped_column(sa.String(64))
    duration_minutes: Mapped[int] = mapped_column(default=60)
    mode: Mapped[str] = mapped_column(sa.String(20), default=Mode.IN_PERSON)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    join_url: Mapped[str] = mapped_column(sa.String(500), default="")
    # The counselor's opt-in to show `address` in feeds and reminder emails (docs/calendar.md).
    address_in_feeds: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    capacity: Mapped[int | None] = mapped_column()
    rrule: Mapped[str] = mapped_column(sa.String(200), default="")  # RFC 5545 RRULE value, "" = once
    sequence: Mapped[int] = mapped_column(default=0)
    lesson_slugs: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The series this one carries on from after "change this and following" split it (a plain id:
    # the chain is read by calendar.services.series_chain; None for a series posted as new).
    split_from_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped["Client | None"] = relationship(lazy="joined")  # noqa: F821
    program: Mapped["Program | None"] = relationship(lazy="joined")  # noqa: F821
    counselors: Mapped[list["User"]] = relationship(secondary=series_counselors, lazy="selectin")  # noqa: F821
    overrides: Mapped[list["OccurrenceOverride"]] = relationship(
        back_populates="series", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def shown_title(self):
        """The portal's own neutral titles in the reader's language; a counselor's title as written."""
        return str(DEFAULT_TITLES.get(self.title, self.title))

    @property
    def zone(self):
        return ZoneInfo(self.timezone)

    @property
    def start(self):
        """The first start as an aware datetime in the series' own zone."""
        return self.start_local.replace(tzinfo=self.zone)

    @property
    def duration(self):
        return timedelta(minutes=self.duration_minutes)

    @property
    def audience_program_id(self):
        return self.program_id if self.program_id is not None else self.client.program_id

    def override_for(self, original_start):
        for override in self.overrides:
            if override.original_start == original_start:
                return override
        return None

    def touch(self):
        """Mark a change that calendars must pick up (SEQUENCE goes up)."""
        self.sequence += 1
        self.updated_at = utcnow()


class OccurrenceOverride(db.Model):
    """One occurrence moved, given another place or link, or cancelled."""

    __tablename__ = "occurrence_overrides"
    __table_args__ = (sa.UniqueConstraint("series_id", "original_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("session_series.id", ondelete="CASCADE"), index=True)
    original_start: Mapped[datetime] = mapped_column(UTCDateTime)
    new_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    join_url: Mapped[str | None] = mapped_column(sa.String(500))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    cancelled: Mapped[bool] = mapped_column(default=False)
    cancel_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    series: Mapped[SessionSeries] = relationship(back_populates="overrides")


class RSVP(db.Model):
    __tablename__ = "session_rsvps"
    __table_args__ = (sa.UniqueConstraint("series_id", "occurrence_start", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("session_series.id", ondelete="CASCADE"), index=True)
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    response: Mapped[str] = mapped_column(sa.String(20))
    waitlisted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the person last asked for a seat: the waitlist is served in this order.
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(lazy="joined")  # noqa: F821

    @hybrid_property
    def holds_seat(self):
        """Going and not waitlisted: in Python for a loaded reply, in SQL to count seats."""
        return self.response == Response.GOING and not self.waitlisted

    @holds_seat.inplace.expression
    @classmethod
    def _holds_seat_expression(cls):
        return sa.and_(cls.response == Response.GOING, cls.waitlisted.is_(False))

    @property
    def waits_for_seat(self):
        """Going, and on the waitlist until a seat is free."""
        return self.response == Response.GOING and self.waitlisted


class Attendance(db.Model):
    """Whether a family member came to a session, as marked by a counselor."""

    __tablename__ = "session_attendance"
    __table_args__ = (sa.UniqueConstraint("series_id", "occurrence_start", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("session_series.id", ondelete="CASCADE"), index=True)
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedToken(db.Model):
    """A user's calendar subscription address: the token is derived, only its hash is looked up."""

    __tablename__ = "calendar_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    nonce: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821


class Notification(db.Model):
    """An in-app notice about a new, changed or cancelled session."""

    __tablename__ = "calendar_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("session_series.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReminderSent(db.Model):
    """One reminder mailed: the unique key makes `flask reminders send` idempotent."""

    __tablename__ = "calendar_reminders_sent"
    __table_args__ = (sa.UniqueConstraint("user_id", "series_id", "occurrence_start", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("session_series.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(sa.String(20), default="24h")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
