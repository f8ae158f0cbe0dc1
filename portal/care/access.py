"""The one rule (docs/privacy.md): may this user see client-linked data *now*?

Every route, socket event, feed and reminder that touches client data asks here, and logs
the disclosure with `record_disclosure`. Rooms and calendar import this module; care never
imports them — when a consent ends, `consent_ended` tells whoever listens.
"""

from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from blinker import Namespace
from flask import abort, current_app
from sqlalchemy.orm import defaultload

from portal import audit
from portal.care.models import Client, Consent, FamilyLink, Program, program_counselors
from portal.clock import utcnow
from portal.extensions import db
from portal.security import Role

signals = Namespace()
#: Sent with (client_id, consent_id, user_ids, reason) when a consent stops allowing access;
#: reason: revoked, expired, enrollment_ended, transferred (the client moved program) or left.
consent_ended = signals.signal("consent-ended")

# Expiry dates are read in the center's zone: a consent "until 31 May" lasts all of 31 May there.
CONSENT_ZONE = ZoneInfo("America/New_York")


def consent_today(now=None):
    return (now or utcnow()).astimezone(CONSENT_ZONE).date()


def _live_links_query(user_id):
    # This runs on every page that shows client-linked data. The link, its consent, client and
    # program come in this one statement; the program's counselors (and their roles) are loaded
    # only if someone reads them, instead of in two more statements every time.
    return (
        sa.select(FamilyLink)
        .join(FamilyLink.consent)
        .join(Consent.client)
        .where(
            FamilyLink.user_id == user_id,
            FamilyLink.ended_at.is_(None),
            Consent.revoked_at.is_(None),
            Consent.program_id == Client.program_id,  # a consent covers the program it names
        )
        .options(
            defaultload(FamilyLink.client).defaultload(Client.program).lazyload(Program.counselors),
            defaultload(FamilyLink.consent)
            .defaultload(Consent.client)
            .defaultload(Client.program)
            .lazyload(Program.counselors),
        )
    )


def active_links(user, now=None):
    """The user's family links whose consent is valid right now."""
    if not getattr(user, "is_authenticated", False):
        return []
    today: date = consent_today(now)
    links = db.session.scalars(_live_links_query(user.id)).unique().all()
    return [link for link in links if link.consent.is_valid(today)]


def ended_links(user, now=None):
    """The user's links that no longer let them see anything (consent revoked, expired, the
    client's enrollment or program changed), newest first, one per client, leaving out clients
    the user still sees through another link and links the user left themselves.

    Each comes with `change`: "expired" (the end date the consent named, which the person saw) or
    "ended" (every other reason, never told apart: a discharge is not theirs to learn here)."""
    if not getattr(user, "is_authenticated", False):
        return []
    today: date = consent_today(now)
    rows = db.session.scalars(
        sa.select(FamilyLink).where(FamilyLink.user_id == user.id).order_by(FamilyLink.created_at.desc())
    ).unique()
    seeing = {link.client_id for link in active_links(user, now)}
    out, seen = [], set()
    for link in rows:
        if link.client_id in seeing or link.client_id in seen or link.ended_reason == "left_by_family":
            continue
        if link.ended_at is None and link.consent.is_valid(today):
            continue
        seen.add(link.client_id)
        expired = link.consent.revoked_at is None and link.consent.status(today) == "expired"
        out.append((link, "expired" if expired else "ended"))
    return out


def link_for_client(user, client_id, now=None):
    """The active link through which user may see client_id, or None."""
    for link in active_links(user, now):
        if link.client_id == client_id:
            return link
    return None


def may_see_client(user, client_id, now=None):
    return link_for_client(user, client_id, now) is not None


def visible_clients(user, now=None):
    return [link.client for link in active_links(user, now)]


def linked_program_ids(user, now=None):
    """Programs in which the user has at least one currently valid family link."""
    return {link.client.program_id for link in active_links(user, now)}


def may_see_attendance(user, client_id, now=None):
    link = link_for_client(user, client_id, now)
    return link is not None and link.consent.includes_attendance


def record_disclosure(user, link, what, detail=None):
    """Audit one disclosure of client-linked data to a family member (the caller commits)."""
    return audit.record(
        "disclosure." + what,
        actor=user,
        object_type="clients",
        object_id=link.client_id,
        client_id=link.client_id,
        consent_id=link.consent_id,
        detail=detail,
    )


def clients_for_counselor(user):
    """Clients a counselor may manage: those of their programs (admins: all)."""
    query = sa.select(Client)
    if not user.has_role(Role.ADMIN):
        query = query.join(Program).join(program_counselors).where(program_counselors.c.user_id == user.id)
    return query


def managed_client(user, client_id):
    """The client if `user` may manage them (their program, or admin), else None."""
    if not valid_id(client_id):
        return None
    return db.session.scalar(clients_for_counselor(user).where(Client.id == client_id))


def linked_family(client_id, include=None, now=None):
    """The family members whose link to this client is valid now, each once, in link order.

    `include(user)`: asked first, so members it leaves out cost no consent check."""
    links = db.session.scalars(
        sa.select(FamilyLink).where(FamilyLink.client_id == client_id, FamilyLink.ended_at.is_(None))
    ).unique()
    members, seen = [], set()
    for link in links:
        member = link.user
        if member.id in seen or (include is not None and not include(member)):
            continue
        if link_for_client(member, client_id, now) is None:
            continue
        seen.add(member.id)
        members.append(member)
    return members


def managed_clients_linked_to(counselor, user_ids, now=None):
    """The counselor's clients with a link valid now to one of `user_ids` (a list or a SELECT of ids),
    by client id."""
    managed = clients_for_counselor(counselor).with_only_columns(Client.id).scalar_subquery()
    links = db.session.scalars(
        sa.select(FamilyLink)
        .where(FamilyLink.user_id.in_(user_ids), FamilyLink.ended_at.is_(None), FamilyLink.client_id.in_(managed))
        .order_by(FamilyLink.client_id)
    ).unique()
    clients = {}
    for link in links:
        if link.client_id not in clients and link_for_client(link.user, link.client_id, now) is not None:
            clients[link.client_id] = link.client
    return list(clients.values())


def announce_consent_ended(client_id, consent_id, user_ids, reason):
    """Tell listeners (rooms, calendar) that these users lost access through this consent."""
    consent_ended.send(
        current_app._get_current_object(),
        client_id=client_id,
        consent_id=consent_id,
        user_ids=list(user_ids),
        reason=reason,
    )


def valid_id(value):
    """Ids from URLs outside the database's integer range are simply not found."""
    return isinstance(value, int) and 0 < value < 2**31


def get_client_or_404(client_id, user):
    """The client if `user` may manage them (their program, or admin); 404 for anything else."""
    client = None
    if valid_id(client_id):
        client = db.session.scalar(clients_for_counselor(user).where(Client.id == client_id))
    if client is None:
        abort(404)
    return client


def get_consent_or_404(consent_id, user):
    """A consent of a client `user` may manage; 404 for anything else."""
    consent = db.session.get(Consent, consent_id) if valid_id(consent_id) else None
    if consent is None:
        abort(404)
    get_client_or_404(consent.client_id, user)
    return consent
