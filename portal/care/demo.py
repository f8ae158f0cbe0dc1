"""Demo data for care (docs/architecture.md): Evening IOP, Sam Rivera, and Jordan's signed consent and link."""

from datetime import timedelta

import sqlalchemy as sa

from portal.care import access, services
from portal.care.models import Client, Consent, FamilyLink, Program
from portal.clock import utcnow
from portal.extensions import db

PROGRAM = "Evening IOP"
CLIENT = "Sam Rivera"


def _program(counselor):
    program = db.session.scalar(sa.select(Program).filter_by(name=PROGRAM))
    if program is None:
        program = Program(
            name=PROGRAM,
            timezone="America/New_York",
            description="Three evenings a week, 6 to 9 pm, for adults in early recovery.",
        )
        db.session.add(program)
    if counselor not in program.counselors:
        program.counselors.append(counselor)
    program.active = True
    return program


def _client(program, counselor, today):
    client = (
        db.session.scalar(sa.select(Client).filter_by(program_id=program.id, full_name=CLIENT)) if program.id else None
    )
    if client is None:
        client = Client(
            program=program,
            full_name=CLIENT,
            enrollment_start=today - timedelta(days=14),
            expected_end=today + timedelta(days=70),
            primary_counselor_id=counselor.id,
        )
        db.session.add(client)
    client.status = "active"
    client.ended_on = None
    return client


def program_and_client(counselor, today):
    """The demo program and client, created or refreshed (the calendar demo builds on them)."""
    program = _program(counselor)
    db.session.flush()
    client = _client(program, counselor, today)
    db.session.flush()
    return program, client


def _consent(client, family, counselor, now):
    consent = (
        db.session.scalar(
            sa.select(Consent).filter_by(client_id=client.id, recipient_email=family.email, revoked_at=None)
        )
        if client.id
        else None
    )
    if consent is not None and consent.is_valid(access.consent_today(now)):
        return consent
    terms = services.consent_terms(
        client,
        recipient_name="Jordan",
        recipient_relationship="parent",
        recipient_email=family.email,
        includes_attendance=True,
        purpose="To take part in family sessions and support my recovery.",
        expires_on=None,
        today=access.consent_today(now),
    )
    return services.record_consent(
        client, terms, signature_name=CLIENT, witness=counselor, now=now, detail={"via": "seed-demo"}
    )


def seed(accounts):
    """Create this feature's demo rows (idempotent); returns lines for the CLI to print."""
    counselor = accounts["counselor@example.org"]
    family = accounts["family@example.org"]
    now = utcnow()
    _, client = program_and_client(counselor, access.consent_today(now))
    consent = _consent(client, family, counselor, now)
    link = db.session.scalar(sa.select(FamilyLink).filter_by(user_id=family.id, consent_id=consent.id))
    if link is None:
        db.session.add(FamilyLink(user_id=family.id, client=client, consent=consent))
    else:
        link.ended_at = None
        link.ended_reason = None
    db.session.commit()
    return [f"program {PROGRAM} with client {CLIENT}; {family.email} linked by a signed consent"]
