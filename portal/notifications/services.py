"""notify(), what a person may see of their notices, preferences, emails and the daily digest.

`notify(user, kind, **data)` is the one way in: it stores the notice in the caller's
transaction, queues its email when the person chose "also by email" (the mail queue is part of
the same transaction), or keeps it for the digest; once the caller commits, `notification_created`
is sent (rooms pushes it to the person's open sockets as the `notification` event).
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from portal import mail
from portal.auth.models import User
from portal.care import access
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications import kinds
from portal.notifications.models import Notification, NotificationPreference, NotificationSettings

log = logging.getLogger("portal.notifications")

signals = Namespace()
# Sent after the commit that stored a notice: user_id, payload (the `notification` socket event).
notification_created = signals.signal("notification-created")

PENDING = "notifications_created"
TOKEN_SALT = "notification-preference"  # noqa: S105 — a salt, not a secret
MAX_DATA_TEXT = 500
DIGEST_INTERVAL = timedelta(hours=20)  # "daily", whatever minute cron runs it


# --- creating ------------------------------------------------------------------------------------


def internal_path(endpoint, **values):
    """A path on the portal, in a request or outside one (CLI, signal handlers)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return value[:MAX_DATA_TEXT]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:MAX_DATA_TEXT]


def notify(user, kind, *, url="", client_id=None, program_id=None, email=True, **data):
    """Tell `user` about something (the caller commits). `url` is the path the notice links to;
    `client_id`/`program_id` name whose consent must still be valid for the notice to be shown;
    `email=False` sends no email at once even when the person chose "also by email" (they are
    online and see the notice live: rooms mentions); `data` holds the values its words need
    (datetimes in UTC). Returns the Notification."""
    if kind not in kinds.KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    row = Notification(
        user_id=user.id,
        kind=kind,
        data={key: _plain(value) for key, value in data.items()},
        url=(url or "")[:500],
        client_id=client_id,
        program_id=program_id,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    channel = channel_for(user, kinds.KINDS[kind])
    if channel == kinds.EMAIL and email and user.active and user.email:
        try:
            _email_one(user, row)  # renders first; the only write is the queued row
            row.emailed_at = utcnow()
        except Exception:  # noqa: BLE001 — the notice is in the portal; the email is a copy
            log.exception("could not queue a notification email")
    elif channel == kinds.DIGEST:
        row.digest_pending = True
    count = refresh_unread(user)
    db.session.info.setdefault(PENDING, []).append((user.id, _payload(user, row, count)))
    return row


def refresh_unread(user):
    """Count again the person's unread notices they may still see, and keep it for the bell
    (users.notifications_unread). After a notice, a read, an access change. Caller commits."""
    count = unread_count(user)
    db.session.execute(sa.update(User).where(User.id == user.id).values(notifications_unread=count))
    return count


def _payload(user, row, count):
    with force_locale(user.locale or "en"):
        return {
            "id": row.id,
            "kind": row.kind,
            "text": kinds.describe(row, user)[0],
            "url": row.url or internal_path("notifications.show", notification_id=row.id),
            "unread": count,
            "label": bell_label(count),
        }


def bell_label(count):
    if not count:
        return _("Notifications, none unread")
    return ngettext("Notifications, %(num)d unread", "Notifications, %(num)d unread", count)


@sa.event.listens_for(Session, "after_commit")
def _announce(session):
    for user_id, payload in session.info.pop(PENDING, []):
        try:
            notification_created.send("portal.notifications", user_id=user_id, payload=payload)
        except Exception:  # noqa: BLE001 — the notice is stored; a live update is a courtesy
            log.exception("could not announce a notification")


@sa.event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(PENDING, None)


# --- reading -------------------------------------------------------------------------------------


def _visible(user):
    """Notices about a client or program show only while a consent lets the person see them."""
    clients = [client.id for client in access.visible_clients(user)]
    programs = sorted(access.linked_program_ids(user))
    return sa.or_(
        sa.and_(Notification.client_id.is_(None), Notification.program_id.is_(None)),
        Notification.client_id.in_(clients),
        sa.and_(Notification.client_id.is_(None), Notification.program_id.in_(programs)),
    )


def unread_count(user):
    query = sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), _visible(user)
    )
    return db.session.scalar(query) or 0


def visible_notifications(user, limit=100):
    query = (
        sa.select(Notification)
        .where(Notification.user_id == user.id, _visible(user))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def get_visible(user, notification_id):
    """The person's own notice if they may still see it, else None (the view answers 404)."""
    if not access.valid_id(notification_id):
        return None
    query = sa.select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id, _visible(user)
    )
    return db.session.scalar(query)


def mark_read(user, notifications):
    """Mark these notices read (commits); returns how many were unread."""
    ids = [n.id for n in notifications if n.read_at is None and n.user_id == user.id]
    if ids:
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id.in_(ids), Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
        refresh_unread(user)
        db.session.commit()
    return len(ids)


def mark_all_read(user):
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    refresh_unread(user)
    db.session.commit()


# --- preferences ---------------------------------------------------------------------------------


def preferences(user):
    """{topic: channel} with the defaults filled in."""
    stored = {
        p.topic: p.channel
        for p in db.session.scalars(sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    }
    return {key: stored.get(key, topic.default) for key, topic in kinds.TOPICS.items()}


def channel_for(user, topic):
    stored = db.session.get(NotificationPreference, (user.id, topic))
    if stored is not None and stored.channel in kinds.CHANNELS:
        return stored.channel
    return kinds.TOPICS[topic].default


def reminder_lead(user):
    settings = db.session.get(NotificationSettings, user.id)
    lead = settings.reminder_lead if settings is not None else kinds.DEFAULT_REMINDER_LEAD
    return lead if lead in kinds.REMINDER_LEADS else kinds.DEFAULT_REMINDER_LEAD


def _settings(user):
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        settings = NotificationSettings(user_id=user.id, reminder_lead=kinds.DEFAULT_REMINDER_LEAD)
        db.session.add(settings)
    return settings


def set_channel(user, topic, channel):
    """Caller commits."""
    if topic not in kinds.TOPICS or channel not in kinds.CHANNELS:
        raise ValueError("unknown topic or channel")
    row = db.session.get(NotificationPreference, (user.id, topic))
    if row is None:
        row = NotificationPreference(user_id=user.id, topic=topic, channel=channel)
        db.session.add(row)
    row.channel, row.updated_at = channel, utcnow()
    if channel != kinds.DIGEST:
        # Nothing of this topic waits for a digest any more (it is in the portal either way).
        topic_kinds = [k for k, t in kinds.KINDS.items() if t == topic]
        db.session.execute(
            sa.update(Notification)
            .where(Notification.user_id == user.id, Notification.kind.in_(topic_kinds), Notification.digest_pending)
            .values(digest_pending=False)
        )


def set_reminder_lead(user, lead):
    if lead not in kinds.REMINDER_LEADS:
        raise ValueError("unknown reminder lead")
    _settings(user).reminder_lead = lead


def save_preferences(user, channels, lead):
    for topic, channel in channels.items():
        set_channel(user, topic, channel)
    set_reminder_lead(user, lead)
    db.session.commit()


# --- the one-click preference link -------------------------------------------------------------

# What a link in an email turns off: a topic (→ portal only), "reminders" (→ none) or "digest"
# (every digest topic → portal only).
TOKEN_SCOPES = (*kinds.TOPICS, kinds.REMINDERS, kinds.DIGEST)


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def preference_token(user, scope):
    return _serializer().dumps({"u": user.id, "s": scope})


def read_preference_token(token):
    """(user_id, scope) from a link in an email, or None when it was not made by this portal."""
    if not isinstance(token, str) or len(token) > 300:
        return None
    try:
        data = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    user_id, scope = data.get("u"), data.get("s")
    if not access.valid_id(user_id) or scope not in TOKEN_SCOPES:
        return None
    return user_id, scope


def turn_off(user, scope):
    """What the one-click link does (commits)."""
    if scope == kinds.REMINDERS:
        set_reminder_lead(user, "none")
    elif scope == kinds.DIGEST:
        for topic, channel in preferences(user).items():
            if channel == kinds.DIGEST:
                set_channel(user, topic, kinds.PORTAL)
    else:
        set_channel(user, scope, kinds.PORTAL)
    db.session.commit()


def is_off(user, scope):
    if scope == kinds.REMINDERS:
        return reminder_lead(user) == "none"
    if scope == kinds.DIGEST:
        return kinds.DIGEST not in preferences(user).values()
    return channel_for(user, scope) == kinds.PORTAL


def unsubscribe_links(user, scope):
    """(page link for the email text, headers with the RFC 8058 one-click address)."""
    token = preference_token(user, scope)
    page = mail.external_link("notifications.unsubscribe", token=token)
    one_click = mail.external_link("notifications.unsubscribe_one_click", token=token)
    headers = {"List-Unsubscribe": f"<{one_click}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return page, headers


# --- emails --------------------------------------------------------------------------------------


def _absolute(path):
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path


def _email_link(row):
    """The link an email gives for a notice: its own (a session page), the notice when its own
    would name something, the list when it has none."""
    if row.url and row.kind not in kinds.NAMING_LINKS:
        return _absolute(row.url)
    if row.url:
        return _absolute(internal_path("notifications.show", notification_id=row.id))
    return _absolute(internal_path("notifications.index"))


def _email_one(user, row):
    with force_locale(user.locale or "en"):
        subject, lines = kinds.email_text(row, user)
        topic = kinds.KINDS[row.kind]
        page, headers = unsubscribe_links(user, topic)
        body = render_template(
            "email/notification.txt",
            user=user,
            lines=lines,
            link=_email_link(row),
            preference_link=page,
            topic_label=kinds.TOPICS[topic].label,
        )
    mail.enqueue(user.email, subject, body, headers=headers)


def send_digests(now=None):
    """One email per person for the notices waiting for their digest (at most one a day);
    idempotent: what was sent is no longer pending. Returns the number of emails queued."""
    now = now or utcnow()
    user_ids = list(db.session.scalars(sa.select(Notification.user_id).where(Notification.digest_pending).distinct()))
    sent = 0
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        if user is None:
            continue
        settings = _settings(user)
        if settings.last_digest_at is not None and now - settings.last_digest_at < DIGEST_INTERVAL:
            db.session.rollback()
            continue
        pending = list(
            db.session.scalars(
                sa.select(Notification)
                .where(Notification.user_id == user.id, Notification.digest_pending)
                .order_by(Notification.created_at, Notification.id)
            )
        )
        visible = {n.id for n in visible_notifications(user, limit=1000)}
        shown = [n for n in pending if n.id in visible and n.read_at is None]
        for row in pending:
            row.digest_pending = False
        if shown and user.active and user.email:
            _email_digest(user, shown)
            for row in shown:
                row.emailed_at = now
            settings.last_digest_at = now
            sent += 1
        db.session.commit()
    return sent


def _email_digest(user, rows):
    with force_locale(user.locale or "en"):
        items = []
        for row in rows:
            _subject, lines = kinds.email_text(row, user)
            items.append({"lines": lines, "link": _email_link(row)})
        page, headers = unsubscribe_links(user, kinds.DIGEST)
        subject = ngettext(
            "%(portal)s: %(num)d new notice",
            "%(portal)s: %(num)d new notices",
            len(rows),
            portal=current_app.config["PORTAL_NAME"],
        )
        body = render_template(
            "email/notification_digest.txt",
            user=user,
            items=items,
            link=_absolute(internal_path("notifications.index")),
            preference_link=page,
        )
    mail.enqueue(user.email, subject, body, headers=headers)
