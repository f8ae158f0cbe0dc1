"""Admins invite staff by email; the invited person picks their name and password via the link.

The link is single-use and expires (`STAFF_INVITATION_LIFETIME`); only its hash is stored.
Inviting an address that already has an account grants nothing and creates no invitation: that
address gets a neutral notice instead ("you already have an account; ask an admin to add the
role"), and the admin sees the same answer either way, so the form never tells whether an
address has an account. Sending, cancelling and accepting are audited.
"""

import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal import audit, mail
from portal.auth.models import StaffInvitation
from portal.auth.services import create_user, find_user_by_email, normalize_email
from portal.clock import utcnow
from portal.extensions import db
from portal.security import STAFF_ROLES, Role, hash_token


class InvitationError(Exception):
    """An invitation was refused; the message is safe to show."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message, self.field = message, field


def invite_staff(actor, email, roles, *, link_for, login_link, now=None):
    """Email an invitation to a staff account with these roles (or a neutral notice when the
    address already has an account). Returns the invitation, or None when none was made."""
    now = now or utcnow()
    email = normalize_email(email)
    roles = sorted({Role(r) for r in roles}, key=lambda r: r.value)
    if not roles or any(r not in STAFF_ROLES for r in roles):
        raise InvitationError(_l("Choose at least one staff role."), field="roles")
    role_values = [r.value for r in roles]
    existing = find_user_by_email(email)
    if existing is not None:
        _notify_existing(actor, existing, role_values, login_link)
        return None
    _cancel_pending(email, now)
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation(
        token_hash=hash_token(token),
        email=email,
        roles=",".join(role_values),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + current_app.config["STAFF_INVITATION_LIFETIME"],
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record("staff_invitation.sent", actor=actor, obj=invitation, detail={"roles": role_values})
    mail.send(  # queued in the same transaction (portal/mail)
        email,
        _("You are invited to Family Bridge"),
        "staff_invitation",
        link=link_for(token),
        roles=role_values,
        expires_at=invitation.expires_at,
    )
    db.session.commit()
    return invitation


def _notify_existing(actor, existing, role_values, login_link):
    """No invitation for an address that has an account: a neutral notice, nothing granted."""
    detail = {"reason": "account_exists", "roles": role_values}
    audit.record("staff_invitation.not_sent", actor=actor, obj=existing, detail=detail)
    mail.send(
        existing.email,
        _l("About your Family Bridge account"),
        "staff_invitation_existing",
        locale=existing.locale,
        login_link=login_link,
    )
    db.session.commit()


def _cancel_pending(email, now):
    """A new invitation replaces any earlier one still open for the same address."""
    db.session.execute(
        sa.update(StaffInvitation)
        .where(
            StaffInvitation.email == email, StaffInvitation.used_at.is_(None), StaffInvitation.cancelled_at.is_(None)
        )
        .values(cancelled_at=now)
    )


def redeemable(token, now=None):
    """The pending invitation for this link, or None (unknown, used, cancelled or expired)."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(sa.select(StaffInvitation).filter_by(token_hash=hash_token(token)))
    if invitation is None or invitation.state(now or utcnow()) != "pending":
        return None
    return invitation


def accept(invitation, *, display_name, password, timezone, now=None):
    """Create the staff account the invitation names; the link is spent at once (only one of two
    simultaneous presses wins). Refused if the address got an account in the meantime."""
    now = now or utcnow()
    claimed = db.session.execute(
        sa.update(StaffInvitation)
        .where(
            StaffInvitation.id == invitation.id,
            StaffInvitation.used_at.is_(None),
            StaffInvitation.cancelled_at.is_(None),
            StaffInvitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1 or find_user_by_email(invitation.email) is not None:
        db.session.rollback()
        raise InvitationError(_l("This invitation link cannot be used any more."))
    roles = sorted(invitation.role_set, key=lambda r: r.value)
    user = create_user(invitation.email, password, display_name, roles, timezone=timezone, verified=True)
    db.session.flush()
    invitation.user_id = user.id
    detail = {"roles": [r.value for r in roles], "invited_by": invitation.created_by_id}
    audit.record("staff_invitation.accepted", actor=user, obj=invitation, detail=detail)
    audit.record("user.created", actor=user, obj=user, detail={"via": "staff_invitation", **detail})
    try:
        db.session.commit()
    except IntegrityError:  # the address signed up at the same moment
        db.session.rollback()
        raise InvitationError(_l("This invitation link cannot be used any more.")) from None
    return user


def cancel(actor, invitation, now=None):
    if invitation.state(now or utcnow()) != "pending":
        raise InvitationError(_l("Only a pending invitation can be cancelled."))
    invitation.cancelled_at = now or utcnow()
    audit.record("staff_invitation.cancelled", actor=actor, obj=invitation)
    db.session.commit()


def recent(limit=50):
    """The latest invitations, newest first (for the admin page)."""
    return db.session.scalars(
        sa.select(StaffInvitation).order_by(StaffInvitation.created_at.desc(), StaffInvitation.id.desc()).limit(limit)
    ).all()
