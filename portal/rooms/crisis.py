"""Crisis escalation. A post matching the crisis list is held (services.post_message); here the
staff on call for its room are alerted at once — an email through the durable mail queue, in
the same transaction as the post, and the live `moderation_alert` the caller broadcasts — and,
while nobody handles it, the next backup on call is alerted every CRISIS_ESCALATION_MINUTES
(run by each server's upkeep loop, portal/upkeep.py; each step is claimed by a conditional
UPDATE, so several processes never alert twice). Every step is audited; no email or audit
detail carries the post, the room's name or the author (docs/privacy.md)."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from portal import audit, mail
from portal.auth.models import User, UserRole
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.services import internal_path, notify
from portal.rooms.models import CrisisAlert, OnCall
from portal.security import Role


def on_call(program_id):
    """(alerted at once, backups in order) for a program's rooms (None: the public rooms)."""
    rows = db.session.scalars(
        sa.select(OnCall)
        .where(OnCall.program_id.is_(None) if program_id is None else OnCall.program_id == program_id)
        .order_by(OnCall.position, OnCall.id)
    ).all()
    rows = [r for r in rows if r.user.active and r.user.is_staff]
    return [r.user for r in rows if not r.backup], [r.user for r in rows if r.backup]


def _fallback_staff():
    """When no one is on call: every active moderator and admin (someone must know)."""
    staff = sa.select(UserRole.user_id).where(UserRole.role.in_([Role.MODERATOR.value, Role.ADMIN.value]))
    return db.session.scalars(sa.select(User).where(User.id.in_(staff), User.active.is_(True)).order_by(User.id)).all()


def _alert(user, alert):
    """One person alerted: the neutral email, and a notice linking to the item (no second email)
    whose `notification` event reaches every page they have a socket on — the moderators' live
    console alert does not reach a counselor on call, who has no console."""
    with force_locale(user.locale or "en"):
        mail.send(
            user.email,
            _("A post in the rooms is waiting for you"),
            "crisis_alert",
            user=user,
            link=mail.external_link("rooms.crisis_item", alert_id=alert.id),
        )
    notify(user, "crisis_alert", url=internal_path("rooms.crisis_item", alert_id=alert.id), email=False)


def raise_alert(message):
    """Alert everyone on call for the message's room (the caller commits, with the post)."""
    room = message.room
    alert = CrisisAlert(message=message, program_id=room.program_id, created_at=utcnow(), last_alert_at=utcnow())
    db.session.add(alert)
    db.session.flush()
    first, backups = on_call(room.program_id)
    if not first:
        first = backups[:1] or _fallback_staff()
        alert.escalations = 1 if backups else 0
    for user in first:
        _alert(user, alert)
    audit.record(
        "crisis.alerted",
        actor=message.author,
        object_type="room_crisis_alerts",
        object_id=alert.id,
        detail={"alerted_user_ids": [u.id for u in first]},
    )
    return alert


def escalate_due(now=None):
    """Alert the next backup for each unhandled alert whose last alert is older than the
    configured time; returns how many were escalated. Idempotent and safe across processes."""
    now = now or utcnow()
    minutes = current_app.config.get("CRISIS_ESCALATION_MINUTES", 10)
    due = db.session.scalars(
        sa.select(CrisisAlert).where(
            CrisisAlert.handled_at.is_(None), CrisisAlert.last_alert_at <= now - timedelta(minutes=minutes)
        )
    ).all()
    done = 0
    for alert in due:
        _, backups = on_call(alert.program_id)
        if alert.escalations >= len(backups):
            continue  # everyone was alerted; the item stays at the top of the console
        claimed = db.session.execute(
            sa.update(CrisisAlert)
            .where(
                CrisisAlert.id == alert.id,
                CrisisAlert.escalations == alert.escalations,
                CrisisAlert.handled_at.is_(None),
            )
            .values(escalations=CrisisAlert.escalations + 1, last_alert_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        person = backups[alert.escalations]
        _alert(person, alert)
        audit.record(
            "crisis.escalated",
            object_type="room_crisis_alerts",
            object_id=alert.id,
            detail={"alerted_user_ids": [person.id], "step": alert.escalations + 1},
        )
        db.session.commit()
        done += 1
    return done


def alert_for(message):
    return db.session.scalar(sa.select(CrisisAlert).filter_by(message_id=message.id))


def mark_handled(moderator, message, how):
    """A moderator released, hid or dismissed the item, or checked in: the escalation stops
    (the caller commits)."""
    alert = alert_for(message)
    if alert is None or alert.handled_at is not None:
        return
    alert.handled_at = utcnow()
    alert.handled_by_id = moderator.id
    audit.record(
        "crisis.handled", actor=moderator, object_type="room_crisis_alerts", object_id=alert.id, detail={"how": how}
    )


def open_alerts():
    return db.session.scalars(
        sa.select(CrisisAlert).where(CrisisAlert.handled_at.is_(None)).order_by(CrisisAlert.created_at)
    ).all()
