"""Single-use invitation links from a consent to its named recipient, and accepting them."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal import audit, mail
from portal.care import access
from portal.care.models import FamilyLink, Invitation
from portal.care.services import CareError, cancel_pending_invitations, normalize_email
from portal.clock import utcnow
from portal.extensions import db
from portal.security import hash_token

LIFETIME = timedelta(days=7)
#: Neutral on purpose: a subject line is seen by anyone glancing at an inbox.
SUBJECT = _l("An invitation to Family Bridge")


def send_invitation(consent, *, actor, link_for, now=None):
    """Email a fresh link to the consent's recipient; any earlier link stops working."""
    now = now or utcnow()
    if not consent.is_valid(access.consent_today(now)):
        raise CareError(_l("Invitations can only be sent from a valid consent."))
    cancel_pending_invitations(consent.id, now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        consent=consent,
        token_hash=hash_token(token),
        email=consent.recipient_email,
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    mail.send(
        consent.recipient_email,
        SUBJECT,
        "care_invitation",
        # the language the consent was written in, when it records one; else this page's
        locale=getattr(consent, "language", None),
        recipient_name=consent.recipient_name,
        link=link_for(token),
        expires_days=LIFETIME.days,
    )
    audit.record("invitation.sent", actor=actor, obj=invitation, client_id=consent.client_id, consent_id=consent.id)
    db.session.commit()
    return invitation


def cancel_invitation(invitation, *, actor, now=None):
    if invitation.state(now or utcnow()) != "pending":
        raise CareError(_l("Only a pending invitation can be cancelled."))
    invitation.cancelled_at = now or utcnow()
    audit.record(
        "invitation.cancelled",
        actor=actor,
        obj=invitation,
        client_id=invitation.consent.client_id,
        consent_id=invitation.consent_id,
    )
    db.session.commit()


def redeemable(token, now=None):
    """The pending invitation for this token whose consent is still valid, else None."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    now = now or utcnow()
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None or invitation.state(now) != "pending":
        return None
    if not invitation.consent.is_valid(access.consent_today(now)):
        return None
    return invitation


def is_for(invitation, user):
    """Only the named recipient's own account may accept (same email address)."""
    return (
        user.is_authenticated
        and user.can("see_family")
        and normalize_email(user.email) == normalize_email(invitation.email)
    )


def accept(invitation, *, user, now=None):
    """Spend the invitation and create the family link it allows."""
    now = now or utcnow()
    consent = invitation.consent
    invitation.used_at = now
    invitation.used_by_id = user.id
    link = db.session.scalar(sa.select(FamilyLink).filter_by(user_id=user.id, consent_id=consent.id))
    if link is None:
        link = FamilyLink(user_id=user.id, client_id=consent.client_id, consent=consent, created_at=now)
        db.session.add(link)
    else:
        link.ended_at = None
        link.ended_reason = None
    db.session.flush()
    audit.record(
        "invitation.accepted",
        actor=user,
        obj=invitation,
        client_id=consent.client_id,
        consent_id=consent.id,
        detail={"family_link_id": link.id},
    )
    db.session.commit()
    return link


def waiting_for(user, now=None):
    """Pending invitations addressed to this user's confirmed email (for those who signed up first)."""
    if not (user.is_authenticated and user.can("see_family") and user.is_verified):
        return []
    now = now or utcnow()
    rows = db.session.scalars(
        sa.select(Invitation).where(
            Invitation.email == normalize_email(user.email),
            Invitation.used_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.expires_at > now,
        )
    ).all()
    return [row for row in rows if row.consent.is_valid(access.consent_today(now))]


def record_preview(invitation, user):
    """Showing the recipient whose invitation this is discloses the client's name: log it (caller commits)."""
    consent = invitation.consent
    return audit.record(
        "disclosure.invitation",
        actor=user,
        object_type="clients",
        object_id=consent.client_id,
        client_id=consent.client_id,
        consent_id=consent.id,
    )


def invitations_for(consent_ids):
    if not consent_ids:
        return []
    return db.session.scalars(
        sa.select(Invitation).where(Invitation.consent_id.in_(consent_ids)).order_by(Invitation.created_at.desc())
    ).all()
