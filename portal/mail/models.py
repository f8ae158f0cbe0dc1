"""The outgoing-mail queue: every message waits here until a delivery run sends it."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db

# A message that is written out in full when it is queued. Other kinds are built by the
# delivery run (mail.register_builder): they carry no body, and no secret, until then.
RENDERED = "message"


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutgoingMail(db.Model):
    __tablename__ = "mail_queue"
    __table_args__ = (sa.Index("ix_mail_queue_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), default=RENDERED)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    # For kinds built at delivery that concern an account (an email change).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(255), default="")
    text_body: Mapped[str] = mapped_column(sa.Text, default="")
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    # Extra headers of a rendered message, e.g. List-Unsubscribe (portal/notifications).
    headers: Mapped[dict | None] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(10), default=MailStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[object | None] = mapped_column(UTCDateTime)

    def __repr__(self):
        return f"<OutgoingMail {self.id} {self.kind} {self.status}>"

    @property
    def is_failed(self):
        return self.status == MailStatus.FAILED
