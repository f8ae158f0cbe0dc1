"""Small explicit builders for test data (used inside fixtures and tests)."""

import itertools

from portal.auth import services
from portal.extensions import db
from portal.security import Role

PASSWORD = "correct horse battery staple"
DEMO_PASSWORD = "family-bridge-demo"
# Who the whole-site tests sign in as: nobody, then each demo account (docs/architecture.md).
DEMO_ROLES = {
    "anonymous": None,
    "family": "family@example.org",
    "family2": "family2@example.org",
    "moderator": "moderator@example.org",
    "counselor": "counselor@example.org",
    "admin": "admin@example.org",
}
_counter = itertools.count(1)


def make_user(
    email=None,
    roles=(Role.FAMILY,),
    display_name=None,
    password=PASSWORD,
    verified=True,
    established=True,
    timezone="America/New_York",
    active=True,
):
    n = next(_counter)
    user = services.create_user(
        email or f"user{n}@example.org",
        password,
        display_name or f"Member {n}",
        {Role(r) for r in roles},
        timezone=timezone,
        verified=verified,
    )
    user.established = established
    user.active = active
    db.session.commit()
    return user


def make_program(name=None, counselors=(), timezone="America/New_York"):
    from portal.care.models import Program

    program = Program(name=name or f"Program {next(_counter)}", timezone=timezone, counselors=list(counselors))
    db.session.add(program)
    db.session.commit()
    return program


def make_client(program=None, full_name=None, counselor=None, enrollment_start=None, expected_end=None):
    from datetime import date, timedelta

    from portal.care.models import Client

    program = program or make_program(counselors=[counselor] if counselor else [])
    client = Client(
        program=program,
        full_name=full_name or f"Client {next(_counter)}",
        enrollment_start=enrollment_start or date.today() - timedelta(days=7),
        expected_end=expected_end or date.today() + timedelta(days=60),
        primary_counselor_id=counselor.id if counselor else None,
    )
    db.session.add(client)
    db.session.commit()
    return client


def link_family(user, client, witness=None, includes_attendance=False, expires_on=None):
    """A signed consent naming `user` as recipient, and the family link it allows."""
    import hashlib

    from portal.care.models import Consent, FamilyLink

    witness = witness or make_user(roles=(Role.COUNSELOR,))
    consent = Consent(
        client=client,
        program_id=client.program_id,
        recipient_name=user.display_name,
        recipient_relationship="parent",
        recipient_email=user.email,
        includes_attendance=includes_attendance,
        purpose="To take part in family sessions",
        expires_on=expires_on,
        text_version="test",
        text_sha256=hashlib.sha256(b"test").hexdigest(),
        signature_name=client.full_name,
        witnessed_by_id=witness.id,
    )
    link = FamilyLink(user_id=user.id, client=client, consent=consent)
    db.session.add_all([consent, link])
    db.session.commit()
    return link
