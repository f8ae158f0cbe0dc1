"""Demo data for care (docs/architecture.md): Evening IOP, Sam Rivera, and Jordan's signed consent and link."""

from datetime import timedelta

import sqlalchemy as sa

from portal.care import access, services
from portal.care.models import Client, Consent, FamilyLink, Program
from portal.clock import utcnow
from portal.extensions import db

PROGRAM = "Evening IOP"
CLIENT = "Sam Rivera"


# Seeding creates what is missing and never undoes what a person did since: a program an admin
# closed, a client discharged or moved, a consent revoked or expired, a link a family member left
# all stay as they are.


def _program(counselor):
    program = db.session.scalar(sa.select(Program).filter_by(name=PROGRAM))
    if program is None:
        program = Program(
            name=PROGRAM,
            timezone="America/New_York",
            description="Three evenings a week, 6 to 9 pm, for adults in early recovery.",
            counselors=[counselor],
        )
        db.session.add(program)
    return program


def _client(program, counselor, today):
    client = db.session.scalar(sa.select(Client).filter_by(full_name=CLIENT).order_by(Client.id))
    if client is None:
        client = Client(
            program=program,
            full_name=CLIENT,
            enrollment_start=today - timedelta(days=14),
            expected_end=today + timedelta(days=70),
            primary_counselor_id=counselor.id,
            status="active",
        )
        db.session.add(client)
    return client


def program_and_client(counselor, today):
    """The demo program and client, created or refreshed (the calendar demo builds on them)."""
    program = _program(counselor)
    db.session.flush()
    client = _client(program, counselor, today)
    db.session.flush()
    return program, client


# (recipient name, relationship, purpose, language of the signed text) of each demo family
# account's consent from Sam: Lucía's is read and signed in Spanish.
CONSENTS = {
    "family@example.org": ("Jordan", "parent", "To take part in family sessions and support my recovery.", "en"),
    "familia@example.org": (
        "Lucía",
        "madre",
        "Para participar en las sesiones familiares y apoyar mi recuperación.",
        "es",
    ),
}


def _consent(client, family, counselor, now):
    """The family member's consent, signed once: any consent already recorded for them (valid,
    revoked or expired) is left as it is, and None is returned."""
    recorded = db.session.scalar(
        sa.select(Consent.id).filter_by(client_id=client.id, recipient_email=family.email).limit(1)
    )
    if recorded is not None:
        return None
    name, relationship, purpose, language = CONSENTS[family.email]
    terms = services.consent_terms(
        client,
        recipient_name=name,
        recipient_relationship=relationship,
        recipient_email=family.email,
        includes_attendance=True,
        purpose=purpose,
        expires_on=None,
        today=access.consent_today(now),
        language=language,
    )
    return services.record_consent(
        client, terms, signature_name=CLIENT, witness=counselor, now=now, detail={"via": "seed-demo"}
    )


def seed(accounts):
    """Create this feature's demo rows (idempotent); returns lines for the CLI to print."""
    counselor = accounts["counselor@example.org"]
    now = utcnow()
    _, client = program_and_client(counselor, access.consent_today(now))
    lines = []
    for email in CONSENTS:
        family = accounts.get(email)
        if family is None:
            continue
        consent = _consent(client, family, counselor, now)
        if consent is not None:
            db.session.add(FamilyLink(user_id=family.id, client=client, consent=consent))
        db.session.commit()
        if consent is None:
            lines.append(f"program {PROGRAM} with client {CLIENT}; {family.email}'s consent kept as it is")
        else:
            lines.append(f"program {PROGRAM} with client {CLIENT}; {family.email} linked by a signed consent")
    return lines
