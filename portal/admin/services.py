"""Admin rules: finding users, changing roles, deactivating, reading the audit log."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal import audit
from portal.audit import FORBIDDEN_DETAIL_KEYS, AuditEvent
from portal.auth import mfa, tokens
from portal.auth.models import SessionRecord, User, UserRole
from portal.auth.sessions import revoke_user_sessions, standing_changed
from portal.extensions import db
from portal.paging import paginate
from portal.security import Role

PER_PAGE = 25


class AdminError(Exception):
    """An admin action was refused; the message is safe to show."""


def _escape(text):
    """Text with LIKE wildcards made literal (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text):
    return f"%{_escape(text)}%"


def search_users(q=None, role=None, page=1, per_page=PER_PAGE):
    """A page of users matching the name/email text and role, by display name."""
    stmt = sa.select(User).order_by(sa.func.lower(User.display_name), User.id)
    if q:
        pattern = _like(q.lower())
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.email).like(pattern, escape="\\"),
                sa.func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    if role:
        stmt = stmt.where(User.role_rows.any(UserRole.role == Role(role)))
    return paginate(stmt, page=page, per_page=per_page)


def live_session_count(user):
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SessionRecord).filter_by(user_id=user.id, revoked_at=None)
    )


def _other_active_admins(user):
    """How many active admins there are besides `user`. The rows stay locked until the commit
    (PostgreSQL), so two admins removing each other at the same moment cannot both succeed."""
    admins = sa.select(User.id).where(
        User.id != user.id, User.active.is_(True), User.role_rows.any(UserRole.role == Role.ADMIN.value)
    )
    return len(db.session.scalars(admins.with_for_update()).all())


def _keep_an_admin(actor, user):
    """Refuse a change that would leave the portal without an active admin."""
    if Role.ADMIN in user.roles and user.active and not _other_active_admins(user):
        if actor.id == user.id:
            raise AdminError(_("You are the last admin. Make someone else an admin first, then try again."))
        raise AdminError(_("%(name)s is the last admin. Make someone else an admin first.", name=user.display_name))


def set_roles(actor, user, roles):
    """Give user exactly these roles; each grant and removal is audited."""
    roles = {Role(r) for r in roles}
    if not roles:
        raise AdminError(_("Choose at least one role."))
    if Role.ADMIN not in roles:
        _keep_an_admin(actor, user)
    current = user.roles
    for role in sorted(roles - current):
        user.add_role(role)
        audit.record("user.role_granted", actor=actor, obj=user, detail={"role": role.value})
    for role in sorted(current - roles):
        user.remove_role(role)
        audit.record("user.role_removed", actor=actor, obj=user, detail={"role": role.value})
    db.session.commit()
    if current - roles:
        standing_changed.send(current_app._get_current_object(), user_id=user.id, reason="roles")
    return roles ^ current


def deactivate(actor, user):
    """Close the account: it cannot sign in, and every open session ends now (also one's own,
    as long as another active admin remains)."""
    if not user.active:
        return
    _keep_an_admin(actor, user)
    user.active = False
    revoke_user_sessions(user, "deactivated")
    audit.record("user.deactivated", actor=actor, obj=user)
    db.session.commit()


def reset_two_step(actor, user):
    """For a person who lost both their authenticator and their recovery codes: forget their
    two-step sign-in, sign them out everywhere and tell them by email. At their next sign-in
    with their password they set it up again (staff must, before anything else)."""
    if actor.id == user.id:
        raise AdminError(_("Reset your own two-step sign-in from your account page."))
    if not user.mfa_enabled:
        raise AdminError(_("%(name)s has no two-step sign-in to reset.", name=user.display_name))
    mfa.clear(user)
    revoke_user_sessions(user, "mfa_reset")
    audit.record("user.mfa_reset", actor=actor, obj=user)
    tokens.send_mfa_reset_notice(user)
    db.session.commit()


def reactivate(actor, user):
    if user.active:
        return
    user.active = True
    audit.record("user.reactivated", actor=actor, obj=user)
    db.session.commit()


# --- audit log -------------------------------------------------------------------------------


def _local_day_start(day, tz_name):
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz_name))


def _actor_id(actor):
    if actor.isdigit():
        return int(actor)
    user = db.session.scalar(sa.select(User).filter_by(email=actor.strip().lower()))
    return user.id if user else -1


def audit_events(filters, tz_name, page=1, per_page=50):
    """A page of audit events, newest first, matching the filter form's data."""
    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.get("action"):
        stmt = stmt.where(AuditEvent.action.like(_escape(filters["action"]) + "%", escape="\\"))
    if filters.get("actor"):
        stmt = stmt.where(AuditEvent.actor_id == _actor_id(filters["actor"]))
    if filters.get("client"):
        stmt = stmt.where(AuditEvent.client_id == int(filters["client"]))
    if filters.get("start"):
        stmt = stmt.where(AuditEvent.at >= _local_day_start(filters["start"], tz_name))
    if filters.get("end"):
        stmt = stmt.where(AuditEvent.at < _local_day_start(filters["end"] + timedelta(days=1), tz_name))
    return paginate(stmt, page=page, per_page=per_page)


def users_by_id(ids):
    """The users behind a page of events, in one query."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def safe_detail(detail):
    """Event detail for display, without anything that could be a secret."""
    return {
        key: value
        for key, value in (detail or {}).items()
        if not any(word in key.lower() for word in FORBIDDEN_DETAIL_KEYS)
    }
