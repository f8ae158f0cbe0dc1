"""Accounts, roles, server-side session records and single-use email tokens."""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.auth.names import name_key
from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.security import STAFF_ROLES, Role, hash_token, permissions_for


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(40))
    # The display name folded for comparison (auth/names.py `name_key`), kept with the name so
    # "is this name taken?" is one indexed lookup; None when the name has no Latin letters.
    name_key: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="America/New_York")
    locale: Mapped[str] = mapped_column(sa.String(10), default="en")
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Established members skip new-member pre-moderation in rooms.
    established: Mapped[bool] = mapped_column(default=False)
    # The authenticator secret, encrypted (auth/secretbox.py); never stored in plain text.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(sa.String(255))
    # Retired by migration 0003, which encrypted its values into totp_secret_encrypted: always
    # NULL, never written. Kept one release for rolling restarts; a later migration drops it.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64), deferred=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last TOTP time step accepted, so one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column()
    # The family role chosen for a recommended lesson path (portal/lessons/tracks.py), or None.
    family_role: Mapped[str | None] = mapped_column(sa.String(30))
    # The bell's count, kept by portal/notifications (the user row is read on every request
    # anyway, so the header costs no statement): unread notices the person may still see.
    notifications_unread: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the person first saw (or skipped) the "Start here" welcome; None: not yet.
    welcomed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self):
        return f"<User {self.id} {self.display_name!r}>"

    @validates("display_name")
    def _keep_name_key(self, _key, value):
        self.name_key = name_key(value) or None
        return value

    @property
    def is_active(self):
        return self.active

    @property
    def roles(self):
        return {Role(row.role) for row in self.role_rows}

    def has_role(self, role):
        return Role(role) in self.roles

    def add_role(self, role):
        if not self.has_role(role):
            self.role_rows.append(UserRole(role=Role(role).value))

    def remove_role(self, role):
        self.role_rows = [row for row in self.role_rows if row.role != Role(role)]

    @property
    def is_staff(self):
        return bool(self.roles & STAFF_ROLES)

    @property
    def is_verified(self):
        return self.email_verified_at is not None

    @property
    def mfa_enabled(self):
        return self.totp_enabled_at is not None

    def can(self, permission):
        return permission in permissions_for(self.roles)


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class SessionRecord(db.Model):
    """One signed-in browser. The cookie carries a random id; only its hash is stored."""

    __tablename__ = "session_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(40))
    # Set when the password (and second factor, if any) were checked, for re-authentication.
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    mfa_pending: Mapped[bool] = mapped_column(default=False)
    # While two-step sign-in is being set up in this browser: the new secret, encrypted. It
    # lives here, on the server, rather than in the (signed, readable) session cookie.
    mfa_setup_secret_encrypted: Mapped[str | None] = mapped_column(sa.String(255))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    user: Mapped[User] = relationship()

    @classmethod
    def start(cls, user, *, lifetime, ip=None, user_agent=None):
        """Create a record; returns (record, token) — the token goes only into the cookie."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        record = cls(
            token_hash=hash_token(token),
            user=user,
            created_at=now,
            last_seen_at=now,
            authenticated_at=now,
            expires_at=now + lifetime,
            ip=ip,
            user_agent=(user_agent or "")[:200],
        )
        return record, token

    def is_live(self, idle_limit, now=None):
        now = now or utcnow()
        return self.revoked_at is None and now < self.expires_at and now - self.last_seen_at < idle_limit

    def revoke(self, reason):
        if self.revoked_at is None:
            self.revoked_at = utcnow()
            self.revoked_reason = reason
        self.mfa_setup_secret_encrypted = None


class EmailToken(db.Model):
    """A single-use, expiring link sent by email (verify, reset, change email)."""

    __tablename__ = "email_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    new_email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user, purpose, lifetime: timedelta, new_email=None):
        token = secrets.token_urlsafe(32)
        row = cls(
            token_hash=hash_token(token),
            user=user,
            purpose=purpose,
            new_email=new_email,
            expires_at=utcnow() + lifetime,
        )
        return row, token

    @classmethod
    def redeemable(cls, token, purpose):
        """The unused, unexpired token row for this purpose, or None."""
        if not token or len(token) > 100:
            return None
        row = db.session.scalar(sa.select(cls).filter_by(token_hash=hash_token(token), purpose=purpose))
        if row is None or row.used_at is not None or utcnow() >= row.expires_at:
            return None
        return row


class StaffInvitation(db.Model):
    """An admin's single-use, expiring invitation to a staff account with these roles; only the
    token's hash is kept. The invited person chooses their name and password through the link."""

    __tablename__ = "staff_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    roles: Mapped[str] = mapped_column(sa.String(120))  # comma-separated Role values
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[object | None] = mapped_column(UTCDateTime)

    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])

    @property
    def role_set(self):
        return {Role(value) for value in self.roles.split(",") if value}

    def state(self, now):
        """pending, used, cancelled or expired."""
        if self.used_at is not None:
            return "used"
        if self.cancelled_at is not None:
            return "cancelled"
        return "pending" if now < self.expires_at else "expired"


class RecoveryCode(db.Model):
    """A single-use second-factor fallback; only its hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
