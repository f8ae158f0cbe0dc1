"""Delivery runs: claim due messages, send them, retry with exponential backoff, give up after
MAIL_MAX_AGE. Safe with several processes: a message is claimed by a conditional UPDATE, so
only one process sends it; a process that dies mid-send leaves a claim that expires."""

import logging
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from portal.clock import utcnow
from portal.extensions import db
from portal.mail.models import RENDERED, MailStatus, OutgoingMail

log = logging.getLogger("portal.mail")

BUILDERS = {}


def register_builder(kind, build):
    """`build(row)` returns (subject, text_body) for a queued message of `kind`, or None when
    there is nothing to send (the row is then deleted). It runs inside the delivery
    transaction, which commits only once the message is sent."""
    BUILDERS[kind] = build


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    dropped: int = 0
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not (self.retrying or self.failed)


def compose(to, subject, text_body, html_body=None, headers=None):
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="family-bridge.local")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text_body)
    if html_body:
        message.add_alternative(html_body, subtype="html")
    return message


def transmit(message):
    """Hand one message to SMTP, or write it to the outbox folder without MAIL_SERVER."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        timeout = config.get("MAIL_TIMEOUT_SECONDS", 10)
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return
    outbox = Path(config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(message))


def deliver_due(now=None, limit=200):
    """Send the messages whose time has come (oldest first); returns a DeliveryReport.

    A connection failure ends the run early: the server is away, so the other messages wait
    for the next run instead of each waiting out its own timeout.
    """
    report = DeliveryReport()
    for mail_id in _due_ids(now or utcnow(), limit):
        moment = now or utcnow()
        if _claim(mail_id, moment) and not _attempt(mail_id, moment, report):
            break
    return report


def oldest_pending_age(now=None):
    """Seconds since the oldest message still waiting to be sent was queued (0 when none)."""
    oldest = db.session.scalar(
        sa.select(sa.func.min(OutgoingMail.created_at)).where(OutgoingMail.status == MailStatus.PENDING)
    )
    if oldest is None:
        return 0
    if oldest.tzinfo is None:  # min() bypasses the column type on some databases
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return max(0, int(((now or utcnow()) - oldest).total_seconds()))


def _due_ids(now, limit):
    query = (
        sa.select(OutgoingMail.id)
        .where(OutgoingMail.status == MailStatus.PENDING, OutgoingMail.next_attempt_at <= now)
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(limit)
    )
    ids = list(db.session.scalars(query))
    db.session.commit()
    return ids


def _claim(mail_id, now):
    """Take the message for this run: push its next attempt past the claim lease, only if no
    other process did so first (the WHERE is checked again after any competing write)."""
    lease = now + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    result = db.session.execute(
        sa.update(OutgoingMail)
        .where(
            OutgoingMail.id == mail_id,
            OutgoingMail.status == MailStatus.PENDING,
            OutgoingMail.next_attempt_at <= now,
        )
        .values(next_attempt_at=lease, attempts=OutgoingMail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _attempt(mail_id, now, report):
    """Build and send one claimed message; False when the mail server could not be reached."""
    row = db.session.get(OutgoingMail, mail_id)
    try:
        message = _message_for(row)
        if message is None:
            db.session.delete(row)
            db.session.commit()
            report.dropped += 1
            return True
        transmit(message)
    except Exception as error:  # noqa: BLE001 — every failure is recorded and retried
        db.session.rollback()
        _record_failure(mail_id, now, error, report)
        return not _unreachable(error)
    row.status = MailStatus.SENT.value
    row.sent_at = now
    row.last_error = None
    row.text_body = ""  # bodies may carry single-use links: keep only what was sent, to whom
    row.html_body = None
    db.session.commit()
    report.sent += 1
    return True


def _message_for(row):
    if row.kind == RENDERED:
        return compose(row.recipient, row.subject, row.text_body, row.html_body, row.headers)
    built = BUILDERS[row.kind](row)
    if built is None:
        return None
    row.subject, text_body = built
    return compose(row.recipient, row.subject, text_body)


def _record_failure(mail_id, now, error, report):
    config = current_app.config
    row = db.session.get(OutgoingMail, mail_id)
    row.last_error = describe(error)[:500]
    if _permanent(error) or now - row.created_at >= config["MAIL_MAX_AGE"]:
        row.status = MailStatus.FAILED.value
        row.failed_at = now
        report.failed += 1
    else:
        row.next_attempt_at = now + backoff(row.attempts)
        report.retrying += 1
    report.errors.append(row.last_error)
    db.session.commit()
    log.warning("mail %s not delivered (attempt %s, %s): %s", row.id, row.attempts, row.status, type(error).__name__)


def backoff(attempts):
    """Wait before the next try: MAIL_RETRY_BASE_SECONDS doubling per attempt, capped."""
    config = current_app.config
    seconds = config["MAIL_RETRY_BASE_SECONDS"] * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, config["MAIL_RETRY_MAX_SECONDS"]))


def describe(error):
    return f"{type(error).__name__}: {error}".strip()


def _unreachable(error):
    """The mail server could not be reached (smtplib's own errors are OSErrors too)."""
    if isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _permanent(error):
    """The server refused every recipient for good (5xx): trying again cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return False
