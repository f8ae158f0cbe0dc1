"""Admin rules for the outgoing-mail queue: what is waiting, what failed, sending it again."""

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.admin.services import AdminError
from portal.clock import utcnow
from portal.extensions import db
from portal.mail import MailStatus, OutgoingMail, oldest_pending_age
from portal.paging import paginate

# What a message built at delivery is, for the list (its subject is written only when sent).
KIND_LABELS = {
    "auth_verify": _l("Email confirmation link"),
    "auth_reset": _l("Password reset link"),
    "auth_email_change": _l("New email confirmation link"),
}


def queue_summary(now=None):
    """Counts for the top of the page: waiting, failed, and how old the oldest waiting one is."""
    counts = dict(
        db.session.execute(sa.select(OutgoingMail.status, sa.func.count()).group_by(OutgoingMail.status)).all()
    )
    return {
        "pending": counts.get(MailStatus.PENDING.value, 0),
        "failed": counts.get(MailStatus.FAILED.value, 0),
        "oldest_seconds": oldest_pending_age(now),
    }


def failed_messages(page=1, per_page=25):
    """A page of the messages given up on, most recent first (bodies are never listed)."""
    stmt = (
        sa.select(OutgoingMail)
        .where(OutgoingMail.status == MailStatus.FAILED)
        .order_by(OutgoingMail.failed_at.desc(), OutgoingMail.id.desc())
    )
    return paginate(stmt, page=page, per_page=per_page)


def retry_message(actor, message, now=None):
    """Put a failed message back in the queue as if queued now (so it gets MAIL_MAX_AGE again)."""
    if message.status != MailStatus.FAILED:
        raise AdminError(_("Only a message that failed can be sent again."))
    now = now or utcnow()
    previous_attempts = message.attempts
    message.status = MailStatus.PENDING.value
    message.failed_at = None
    message.attempts = 0
    message.created_at = now
    message.next_attempt_at = now
    audit.record(
        "mail.retried",
        actor=actor,
        obj=message,
        detail={"kind": message.kind, "attempts": previous_attempts},
    )
    db.session.commit()
