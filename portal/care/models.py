"""IOP programs, clients, 42 CFR Part 2 consents and the family links they allow."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db

program_counselors = sa.Table(
    "program_counselors",
    db.metadata,
    sa.Column("program_id", sa.ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Program(db.Model):
    """An IOP track, e.g. "Evening IOP"."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="America/New_York")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    counselors: Mapped[list["User"]] = relationship(secondary=program_counselors, lazy="selectin")  # noqa: F821


class ClientStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    DISCHARGED = "discharged"


class Client(db.Model):
    """A person enrolled in an IOP. Their very presence here is protected information."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    enrollment_start: Mapped[date] = mapped_column(sa.Date)
    expected_end: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), default=ClientStatus.ACTIVE)
    ended_on: Mapped[date | None] = mapped_column(sa.Date)
    primary_counselor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    record_number: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    program: Mapped[Program] = relationship(lazy="joined")
    primary_counselor: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def is_enrolled(self):
        return self.status == ClientStatus.ACTIVE


class ConsentScope(enum.StrEnum):
    SCHEDULE = "schedule"
    ATTENDANCE = "attendance"


class Consent(db.Model):
    """A client's written consent to disclose to one named recipient (docs/privacy.md)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    # The program that discloses, as the signed text names it: the consent covers that program
    # only, so moving the client to another program ends what it allows (None allows nothing).
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id"))
    recipient_name: Mapped[str] = mapped_column(sa.String(120))
    recipient_relationship: Mapped[str] = mapped_column(sa.String(60))
    recipient_email: Mapped[str] = mapped_column(sa.String(254))
    # Session schedule is always in scope; attendance only when the client says so.
    includes_attendance: Mapped[bool] = mapped_column(default=False)
    purpose: Mapped[str] = mapped_column(sa.String(300))
    # Either a date, or None meaning "until the end of IOP enrollment".
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    text_version: Mapped[str] = mapped_column(sa.String(20))
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    signature_name: Mapped[str] = mapped_column(sa.String(120))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    witnessed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revocation_requested_by: Mapped[str | None] = mapped_column(sa.String(120))
    revocation_method: Mapped[str | None] = mapped_column(sa.String(60))
    revocation_requested_on: Mapped[date | None] = mapped_column(sa.Date)
    # The exact text the client signed (its SHA-256 is text_sha256), for the printable copy.
    signed_text: Mapped[str | None] = mapped_column(sa.Text)
    # The client's name as the consent gives it (the client record may be renamed later).
    client_name: Mapped[str | None] = mapped_column(sa.String(120))
    # The language of the signed text ("en", "es"); part of its hash for every language but
    # English, so consents signed before languages existed keep their hashes.
    language: Mapped[str] = mapped_column(sa.String(10), default="en", server_default="en")

    client: Mapped[Client] = relationship(lazy="joined")
    witnessed_by: Mapped["User"] = relationship(foreign_keys=[witnessed_by_id])  # noqa: F821
    revoked_by: Mapped["User | None"] = relationship(foreign_keys=[revoked_by_id])  # noqa: F821

    @property
    def named_client(self):
        """The client's name as this consent names them."""
        return self.client_name or self.client.full_name

    @property
    def scopes(self):
        return {ConsentScope.SCHEDULE} | ({ConsentScope.ATTENDANCE} if self.includes_attendance else set())

    @property
    def covers_client_program(self):
        """Is the client still in the program this consent names?"""
        return self.program_id is not None and self.program_id == self.client.program_id

    def is_valid(self, today):
        """Signed, not revoked, not expired, the client still enrolled in the program it names."""
        if self.revoked_at is not None or not self.client.is_enrolled or not self.covers_client_program:
            return False
        return self.expires_on is None or today <= self.expires_on

    def status(self, today):
        """One word for lists: valid, revoked, expired, transferred (the client moved to another
        program) or ended (client no longer enrolled)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_on is not None and today > self.expires_on:
            return "expired"
        if not self.covers_client_program:
            return "transferred"
        return "valid" if self.client.is_enrolled else "ended"


class FamilyLink(db.Model):
    """A family member's account tied to a client through one consent."""

    __tablename__ = "family_links"
    __table_args__ = (sa.UniqueConstraint("user_id", "consent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    consent_id: Mapped[int] = mapped_column(sa.ForeignKey("consents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(40))

    consent: Mapped[Consent] = relationship(lazy="joined")
    client: Mapped[Client] = relationship(lazy="joined")
    user: Mapped["User"] = relationship()  # noqa: F821


class Invitation(db.Model):
    """A single-use link emailed to a consent's named recipient; only the token's hash is kept."""

    __tablename__ = "care_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(sa.ForeignKey("consents.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consent: Mapped[Consent] = relationship(lazy="joined")

    def state(self, now):
        """pending, used, cancelled or expired."""
        if self.used_at is not None:
            return "used"
        if self.cancelled_at is not None:
            return "cancelled"
        return "pending" if now < self.expires_at else "expired"
