"""Domain rules for programs, clients, consents and revocation (explicit arguments, one commit)."""

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from portal import audit
from portal.care import access, consent_text
from portal.care.models import Client, ClientStatus, Consent, FamilyLink, Invitation, Program
from portal.clock import utcnow
from portal.extensions import db

REVOCATION_METHODS = ("in_person", "phone", "writing")


class CareError(Exception):
    """A domain rule refused the request; the message is safe to show, `field` says where."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def normalize_name(name):
    """Case- and space-insensitive form of a person's name, for signature matching."""
    return re.sub(r"\s+", " ", (name or "").strip()).casefold()


def normalize_email(email):
    return (email or "").strip().lower()


# --- programs ---------------------------------------------------------------------------------


def save_program(program, *, actor, name, description, timezone, active, counselors):
    """Create (program=None) or update a program; names are unique."""
    clash = db.session.scalar(sa.select(Program).where(sa.func.lower(Program.name) == name.strip().lower()))
    if clash is not None and clash is not program:
        raise CareError(_l("A program with this name already exists."), field="name")
    created = program is None
    program = program or Program()
    program.name = name.strip()
    program.description = description.strip()
    program.timezone = timezone
    program.active = active
    program.counselors = list(counselors)
    db.session.add(program)
    db.session.flush()
    audit.record(
        "program.created" if created else "program.updated",
        actor=actor,
        obj=program,
        detail={"counselor_ids": [u.id for u in counselors], "active": active},
    )
    db.session.commit()
    return program


# --- clients ----------------------------------------------------------------------------------


def _check_client_fields(program, primary_counselor, enrollment_start, expected_end):
    if expected_end is not None and expected_end < enrollment_start:
        raise CareError(_l("The expected end must be on or after the enrollment start."), field="expected_end")
    if primary_counselor is not None and primary_counselor not in program.counselors:
        raise CareError(_l("Choose a counselor assigned to this program."), field="primary_counselor_id")


def save_client(
    client,
    *,
    actor,
    program,
    full_name,
    enrollment_start,
    expected_end,
    primary_counselor,
    record_number,
    confirm_transfer=False,
    now=None,
):
    """Create (client=None) or update a client's enrollment details.

    Moving a client to another program needs `confirm_transfer`: a consent covers the program it
    names, so every family link through a consent for another program ends (audited, announced
    through `consent_ended` after the commit, as a revocation is) and a new consent is needed.
    """
    _check_client_fields(program, primary_counselor, enrollment_start, expected_end)
    created = client is None
    transfer = not created and client.program_id != program.id
    if transfer and not confirm_transfer:
        count = len(links_ending_on_transfer(client, program))
        raise CareError(transfer_warning(count), field="confirm_transfer")
    ended = _transfer(client, program, actor, now or utcnow()) if transfer else []
    client = client or Client(status=ClientStatus.ACTIVE.value)
    client.program = program
    client.full_name = re.sub(r"\s+", " ", full_name.strip())
    client.enrollment_start = enrollment_start
    client.expected_end = expected_end
    client.primary_counselor_id = primary_counselor.id if primary_counselor else None
    client.record_number = (record_number or "").strip() or None
    db.session.add(client)
    db.session.flush()
    audit.record("client.created" if created else "client.updated", actor=actor, obj=client, client_id=client.id)
    db.session.commit()
    for consent_id, user_ids in ended:
        access.announce_consent_ended(client.id, consent_id, user_ids, "transferred")
    return client


def links_ending_on_transfer(client, program=None):
    """The open family links of client that a move to program would end (their consent names
    another program); program=None: a move to any other program (every open link)."""
    query = (
        sa.select(FamilyLink)
        .join(Consent, FamilyLink.consent_id == Consent.id)
        .where(FamilyLink.client_id == client.id, FamilyLink.ended_at.is_(None), Consent.revoked_at.is_(None))
        .order_by(FamilyLink.id)
    )
    if program is not None:
        query = query.where(sa.or_(Consent.program_id.is_(None), Consent.program_id != program.id))
    return db.session.scalars(query).all()


def transfer_warning(count):
    """What the counselor must confirm before moving a client to another program."""
    return lazy_ngettext(
        "Moving this client to another program ends %(num)d family link now: a consent covers only "
        "the program it names. Tick the box to confirm; the client then signs a new consent for each "
        "family member.",
        "Moving this client to another program ends %(num)d family links now: a consent covers only "
        "the program it names. Tick the box to confirm; the client then signs a new consent for each "
        "family member.",
        count,
    )


def _transfer(client, program, actor, now):
    """End the links and invitations of consents for other programs; returns (consent id, user
    ids) per consent, to announce after the commit."""
    ended = {}
    for link in links_ending_on_transfer(client, program):
        link.ended_at = now
        link.ended_reason = "program_changed"
        ended.setdefault(link.consent_id, []).append(link.user_id)
        audit.record(
            "family_link.ended",
            actor=actor,
            obj=link,
            client_id=client.id,
            consent_id=link.consent_id,
            detail={"reason": "program_changed", "from_program_id": client.program_id, "to_program_id": program.id},
        )
    for consent in _live_consents(client.id):
        if consent.program_id != program.id:
            cancel_pending_invitations(consent.id, now)
    audit.record(
        "client.transferred",
        actor=actor,
        obj=client,
        client_id=client.id,
        detail={
            "from_program_id": client.program_id,
            "to_program_id": program.id,
            "links_ended": sum(len(user_ids) for user_ids in ended.values()),
        },
    )
    return list(ended.items())


def search_clients(query, text=None):
    """Narrow a clients query by a name or record-number fragment (LIKE wildcards are literal)."""
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(Client.full_name.ilike(pattern, escape="\\"), Client.record_number.ilike(pattern, escape="\\"))
        )
    return query.order_by(Client.status, Client.full_name, Client.id)  # id: a stable order across pages


def end_enrollment(client, *, actor, status, ended_on, now=None):
    """Complete or discharge a client. Every family link ends with the enrollment."""
    if not client.is_enrolled:
        raise CareError(_l("This enrollment has already ended."), field="status")
    if status not in (ClientStatus.COMPLETED, ClientStatus.DISCHARGED):
        raise CareError(_l("Choose completed or discharged."), field="status")
    if ended_on < client.enrollment_start:
        raise CareError(_l("The end date cannot be before the enrollment start."), field="ended_on")
    now = now or utcnow()
    client.status = status
    client.ended_on = ended_on
    ended = []
    for consent in _live_consents(client.id):
        # Every consent needs the client enrolled (Consent.is_valid), dated ones too: all their
        # links end and are announced here, so the expiry sweep never announces them again.
        ended.append((consent, _end_links(consent.id, now, "enrollment_ended")))
        cancel_pending_invitations(consent.id, now)
    audit.record(
        "client." + status, actor=actor, obj=client, client_id=client.id, detail={"ended_on": ended_on.isoformat()}
    )
    db.session.commit()
    for consent, user_ids in ended:
        if user_ids:
            access.announce_consent_ended(client.id, consent.id, user_ids, "enrollment_ended")
    return client


def expire_consents(now=None):
    """End and announce the family links whose consent lapsed without anyone acting on it.

    Access already stops on its own the day after a dated consent's expiry (Consent.is_valid),
    but rooms and calendar only hear of it here: each such link (and any link left open although
    its client's enrollment ended) is marked ended, audited and announced through
    `consent_ended`, exactly once. Safe to run often and concurrently (`flask care
    expire-consents` from cron, and at the start of `flask reminders send`): a link is claimed
    by a conditional UPDATE, so of two overlapping runs only one announces it. Returns the
    number of links ended.
    """
    now = now or utcnow()
    today = access.consent_today(now)
    lapsed = db.session.execute(
        sa.select(FamilyLink.id, FamilyLink.user_id, FamilyLink.client_id, FamilyLink.consent_id, Consent.expires_on)
        .join(Consent, FamilyLink.consent_id == Consent.id)
        .join(Client, FamilyLink.client_id == Client.id)
        .where(
            FamilyLink.ended_at.is_(None),
            Consent.revoked_at.is_(None),
            sa.or_(Consent.expires_on < today, Client.status != ClientStatus.ACTIVE),
        )
        .order_by(FamilyLink.id)
    ).all()
    claimed = []
    for link_id, user_id, client_id, consent_id, expires_on in lapsed:
        reason = "consent_expired" if expires_on is not None and expires_on < today else "enrollment_ended"
        result = db.session.execute(
            sa.update(FamilyLink)
            .where(FamilyLink.id == link_id, FamilyLink.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue  # another run got there first
        cancel_pending_invitations(consent_id, now)
        audit.record(
            "family_link.ended",
            object_type="family_links",
            object_id=link_id,
            client_id=client_id,
            consent_id=consent_id,
            detail={"reason": reason, "expires_on": expires_on.isoformat() if expires_on else None},
        )
        claimed.append((client_id, consent_id, user_id, reason))
    db.session.commit()
    for client_id, consent_id, user_id, reason in claimed:
        access.announce_consent_ended(client_id, consent_id, [user_id], _SIGNAL_REASONS[reason])
    return len(claimed)


# What listeners are told, as revocation says "revoked".
_SIGNAL_REASONS = {"consent_expired": "expired", "enrollment_ended": "enrollment_ended"}


# --- consents ---------------------------------------------------------------------------------


def _live_consents(client_id):
    return db.session.scalars(
        sa.select(Consent).where(Consent.client_id == client_id, Consent.revoked_at.is_(None))
    ).all()


def _end_links(consent_id, now, reason):
    links = db.session.scalars(
        sa.select(FamilyLink).where(FamilyLink.consent_id == consent_id, FamilyLink.ended_at.is_(None))
    ).all()
    for link in links:
        link.ended_at = now
        link.ended_reason = reason
    return [link.user_id for link in links]


def cancel_pending_invitations(consent_id, now):
    for invitation in db.session.scalars(
        sa.select(Invitation).where(
            Invitation.consent_id == consent_id, Invitation.used_at.is_(None), Invitation.cancelled_at.is_(None)
        )
    ):
        invitation.cancelled_at = now


def check_new_consent(client, *, recipient_email, expires_on, today):
    """Refuse consents that cannot be recorded: client not enrolled, past expiry, duplicates."""
    if not client.is_enrolled:
        raise CareError(_l("Consents can only be recorded while the client is enrolled."))
    if expires_on is not None and expires_on < today:
        raise CareError(_l("The expiry date is in the past. Choose today or a later date."), field="expires_on")
    email = normalize_email(recipient_email)
    for consent in _live_consents(client.id):
        if normalize_email(consent.recipient_email) == email and consent.is_valid(today):
            raise CareError(
                _l("There is already a valid consent for this recipient. Revoke it first to record a new one."),
                field="recipient_email",
            )


def consent_terms(
    client,
    *,
    recipient_name,
    recipient_relationship,
    recipient_email,
    includes_attendance,
    purpose,
    expires_on,
    today,
    language="en",
):
    """The terms of a consent in the language the client reads (the form's suggested English
    purpose, left as it was, becomes the same suggestion in that language)."""
    if language not in consent_text.LANGUAGES:
        raise CareError(_l("Choose the language of the consent."), field="language")
    purpose = purpose.strip()
    if purpose == consent_text.DEFAULT_PURPOSE["en"]:
        purpose = consent_text.DEFAULT_PURPOSE[language]
    return consent_text.ConsentTerms(
        client_name=client.full_name,
        program_name=client.program.name,
        recipient_name=recipient_name.strip(),
        recipient_relationship=recipient_relationship.strip(),
        recipient_email=normalize_email(recipient_email),
        includes_attendance=bool(includes_attendance),
        purpose=purpose,
        expires_on=expires_on,
        today=today,
        language=language,
    )


def sign_consent(client, terms, *, signature_name, attested, shown_sha256, witness, now=None):
    """Record the client's e-signature on exactly the text they were shown."""
    now = now or utcnow()
    check_signature(
        client,
        terms,
        signature_name=signature_name,
        attested=attested,
        shown_sha256=shown_sha256,
        today=access.consent_today(now),
    )
    consent = record_consent(client, terms, signature_name=signature_name, witness=witness, now=now)
    db.session.commit()
    return consent


def check_signature(client, terms, *, signature_name, attested, shown_sha256, today):
    """Refuse a signature that may not be recorded: the consent itself (check_new_consent), text
    changed since it was shown, a typed name that is not the client's, no attestation."""
    check_new_consent(client, recipient_email=terms.recipient_email, expires_on=terms.expires_on, today=today)
    if consent_text.document_sha256(consent_text.render_body(terms), terms.language) != shown_sha256:
        raise CareError(_l("The consent text changed since it was shown. Please read it again before signing."))
    if normalize_name(signature_name) != normalize_name(client.full_name):
        raise CareError(_l("The typed name must match the client's full name exactly."), field="signature_name")
    if not attested:
        raise CareError(_l("The client must confirm they have read and agree to the consent."), field="attest")


def record_consent(client, terms, *, signature_name, witness, now, detail=None):
    """Store the signed consent and audit it (the caller has checked it and commits).

    The one way a consent row comes to exist: sign_consent after its checks, and the demo data."""
    body = consent_text.render_body(terms)
    today = access.consent_today(now)
    document = consent_text.signed_document(body, signature_name.strip(), today, witness.display_name, terms.language)
    consent = Consent(
        client=client,
        program_id=client.program_id,
        recipient_name=terms.recipient_name,
        recipient_relationship=terms.recipient_relationship,
        recipient_email=terms.recipient_email,
        includes_attendance=terms.includes_attendance,
        purpose=terms.purpose,
        expires_on=terms.expires_on,
        text_version=consent_text.CURRENT_VERSION,
        text_sha256=consent_text.document_sha256(document, terms.language),
        language=terms.language,
        signed_text=document,
        signature_name=signature_name.strip(),
        signed_at=now,
        witnessed_by_id=witness.id,
        client_name=terms.client_name,
    )
    db.session.add(consent)
    db.session.flush()
    audit.record(
        "consent.signed",
        actor=witness,
        obj=consent,
        client_id=client.id,
        consent_id=consent.id,
        detail={
            "version": consent.text_version,
            "sha256": consent.text_sha256,
            "attendance": consent.includes_attendance,
        }
        | ({"language": consent.language} if consent.language != "en" else {})  # English: the entry as before
        | (detail or {}),
    )
    return consent


def revoke_consent(consent, *, actor, requested_by, requested_on, method, now=None):
    """Revoke at once: links end, pending invitations die, listeners are told."""
    now = now or utcnow()
    if consent.revoked_at is not None:
        raise CareError(_l("This consent is already revoked."))
    if method not in REVOCATION_METHODS:
        raise CareError(_l("Choose how the revocation was requested."), field="method")
    if requested_on > access.consent_today(now):
        raise CareError(_l("The request date cannot be in the future."), field="requested_on")
    consent.revoked_at = now
    consent.revoked_by_id = actor.id
    consent.revocation_requested_by = requested_by.strip()
    consent.revocation_requested_on = requested_on
    consent.revocation_method = method
    user_ids = _end_links(consent.id, now, "consent_revoked")
    cancel_pending_invitations(consent.id, now)
    audit.record(
        "consent.revoked",
        actor=actor,
        obj=consent,
        client_id=consent.client_id,
        consent_id=consent.id,
        detail={"method": method, "requested_on": requested_on.isoformat(), "links_ended": len(user_ids)},
    )
    db.session.commit()
    access.announce_consent_ended(consent.client_id, consent.id, user_ids, "revoked")
    return user_ids


def leave_link(link, *, user, now=None):
    """A family member ends their own link."""
    now = now or utcnow()
    link.ended_at = now
    link.ended_reason = "left_by_family"
    audit.record("family_link.left", actor=user, obj=link, client_id=link.client_id, consent_id=link.consent_id)
    db.session.commit()
    access.announce_consent_ended(link.client_id, link.consent_id, [user.id], "left")


def consents_for(client):
    return db.session.scalars(
        sa.select(Consent).where(Consent.client_id == client.id).order_by(Consent.signed_at.desc())
    ).all()
