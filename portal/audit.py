"""The append-only audit log (docs/privacy.md): who did what, to what, when — never secrets or bodies."""

from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.security import request_id

FORBIDDEN_DETAIL_KEYS = {"password", "token", "body", "secret", "code"}


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_role: Mapped[str | None] = mapped_column(sa.String(60))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    client_id: Mapped[int | None] = mapped_column(index=True)
    consent_id: Mapped[int | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(sa.String(20), default="success")
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[dict | None] = mapped_column(sa.JSON)


class AppendOnlyError(RuntimeError):
    """Audit events are never changed or deleted."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target):
    raise AppendOnlyError("audit events are append-only")


def record(
    action,
    *,
    actor=None,
    obj=None,
    object_type=None,
    object_id=None,
    client_id=None,
    consent_id=None,
    outcome="success",
    detail=None,
):
    """Add one audit event to the current transaction (the caller commits)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id or obj.id
    clean = {k: v for k, v in (detail or {}).items() if k not in FORBIDDEN_DETAIL_KEYS}
    entry = AuditEvent(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_role=",".join(sorted(actor.roles)) if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        client_id=client_id,
        consent_id=consent_id,
        outcome=outcome,
        ip=request.remote_addr if has_request_context() else None,
        request_id=request_id() if has_request_context() else None,
        detail=clean or None,
    )
    db.session.add(entry)
    return entry
