"""Outgoing mail. Nothing is sent during a request: every message goes into the mail_queue
table in the caller's transaction, and a delivery run (each server process in the background,
or `flask mail send`) sends it — over SMTP when MAIL_SERVER is set, otherwise as .eml files in
instance/outbox/ — with retries (portal/mail/delivery.py, docs/deploy.md)."""

from contextlib import nullcontext
from datetime import timedelta

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, ngettext

from portal.extensions import db
from portal.mail.delivery import (
    DeliveryReport,
    compose,
    deliver_due,
    oldest_pending_age,
    register_builder,
    transmit,
)
from portal.mail.models import RENDERED, MailStatus, OutgoingMail

__all__ = [
    "DeliveryReport",
    "MailStatus",
    "OutgoingMail",
    "compose",
    "deliver_due",
    "enqueue",
    "enqueue_built",
    "external_link",
    "lifetime_text",
    "oldest_pending_age",
    "register_builder",
    "send",
    "transmit",
]


def send(to, subject, template, *, locale=None, **context):
    """Render templates/email/<template>.txt and queue it (sent once the caller commits).

    `locale` is the recipient's language (`user.locale`); the subject may be a lazy string
    (`_l`), so that it too is translated into it. Without a locale: the current request's."""
    with in_locale(locale):
        text_body = render_template(f"email/{template}.txt", **context)
        return enqueue(to, str(subject), text_body)


def in_locale(locale):
    """Speak `locale` inside the block (an email to someone in their own language)."""
    return force_locale(locale) if locale else nullcontext()


def enqueue(to, subject, text_body, html_body=None, headers=None):
    """Queue a message written out in full (`headers`: extra ones, e.g. List-Unsubscribe); the caller commits."""
    row = OutgoingMail(
        kind=RENDERED, recipient=to, subject=subject, text_body=text_body, html_body=html_body, headers=headers
    )
    db.session.add(row)
    return row


def enqueue_built(kind, to, user_id=None):
    """Queue a message that the delivery run builds with the builder registered for `kind`.

    The request that asks for it does the same small write whoever `to` is, so its timing
    says nothing about whether an account exists; the builder decides whether to send.
    """
    row = OutgoingMail(kind=kind, recipient=to, user_id=user_id)
    db.session.add(row)
    return row


def external_link(endpoint, **values):
    """An absolute address on PORTAL_BASE_URL, in a request or outside one (CLI, delivery)."""
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context(base_url=base):
        return base + url_for(endpoint, **values)


def lifetime_text(lifetime: timedelta):
    """How long a link lasts, in words ("1 hour", "24 hours", "7 days")."""
    hours = int(lifetime.total_seconds() // 3600)
    if hours >= 48 and hours % 24 == 0:
        return ngettext("%(num)d day", "%(num)d days", hours // 24)
    if hours >= 1:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    minutes = max(1, int(lifetime.total_seconds() // 60))
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)
