"""The mixed-load benchmark's accounts, added to the bench database (production config).

    python -m bench.mixed_setup FAMILIES

Makes sure FAMILIES family accounts exist (`bench-family-<i>@example.org`, the demo password),
each verified, established, with the community guidelines accepted and linked by a signed
consent to a client of Evening IOP (one client for every FAMILIES_PER_CLIENT families), so
that each may open the agenda and answer a session's invitation; chat rooms for all families
(one for every ROOM_SIZE families); and the revocation probe's account. Idempotent: a second
call with a larger number only adds what is missing, so the ramp adds accounts as it grows.

The password is hashed once and the hash shared by every account: argon2 reads its parameters
from the hash, so each sign-in still costs the server one full verification. Prints one JSON
line: the rooms, the demo client's id and its weekly session's id.
"""

import json
import sys

import sqlalchemy as sa

PREFIX = "bench-family-"
PROBE = "bench-probe@example.org"
FAMILIES_PER_CLIENT = 4
ROOM_SIZE = 50


def family_email(i):
    return f"{PREFIX}{i}@example.org"


def room_slug(k):
    return f"bench-room-{k}"


def room_of(i):
    """The room family i sits in."""
    return room_slug(i // ROOM_SIZE)


def ensure(count):
    from portal import create_app

    app = create_app()
    with app.app_context():
        return _ensure(app, count)


def _ensure(app, count):
    from portal.auth.models import User
    from portal.auth.passwords import hash_password
    from portal.calendar.models import SessionSeries
    from portal.care.demo import CLIENT
    from portal.care.models import Client
    from portal.extensions import db

    sam = db.session.scalar(sa.select(Client).filter_by(full_name=CLIENT).order_by(Client.id))
    existing = set(db.session.scalars(sa.select(User.email).where(User.email.like(f"{PREFIX}%"))))
    password_hash = hash_password(app.config.get("DEMO_PASSWORD") or "family-bridge-demo")
    emails = [family_email(i) for i in range(count)]
    missing = [(i, e) for i, e in enumerate(emails) if e not in existing]
    for first in range(0, len(missing), 200):  # commit in batches: the server is running meanwhile
        for i, email in missing[first : first + 200]:
            _family(email, f"Bench family {i}", password_hash, sam if i % 50 == 0 else None, i)
        db.session.commit()
    if db.session.scalar(sa.select(User.id).filter_by(email=PROBE)) is None:
        _family(PROBE, "Bench probe", password_hash, None, count)
        db.session.commit()
    rooms = [room_slug(k) for k in range(max(1, -(-count // ROOM_SIZE)))]
    for slug in rooms:
        _room(slug)
    db.session.commit()
    weekly = db.session.scalar(sa.select(SessionSeries.id).filter_by(client_id=sam.id).order_by(SessionSeries.id))
    return {"rooms": rooms, "client_id": sam.id, "weekly_series_id": weekly, "families": count}


def _family(email, name, password_hash, sam, i):
    """One family account, linked to Sam Rivera (every 50th) or to a bench client of its own group."""
    from portal.auth.models import User
    from portal.clock import utcnow
    from portal.extensions import db
    from portal.rooms import guidelines
    from portal.rooms.models import GuidelinesAcceptance
    from portal.security import Role

    user = User(email=email, password_hash=password_hash, display_name=name, email_verified_at=utcnow())
    user.add_role(Role.FAMILY)
    user.established = True
    db.session.add(user)
    db.session.flush()
    db.session.add(GuidelinesAcceptance(user_id=user.id, version=guidelines.VERSION))
    client = sam or _client_for(i)
    _link(user, client)


def _client_for(i):
    """The bench client of family i's group (FAMILIES_PER_CLIENT families per client)."""
    from datetime import timedelta

    from portal.care.access import consent_today
    from portal.care.demo import PROGRAM
    from portal.care.models import Client, Program
    from portal.extensions import db

    name = f"Bench client {i // FAMILIES_PER_CLIENT}"
    client = db.session.scalar(sa.select(Client).filter_by(full_name=name))
    if client is None:
        program = db.session.scalar(sa.select(Program).filter_by(name=PROGRAM))
        counselor_id = program.counselors[0].id if program.counselors else None
        today = consent_today()
        client = Client(
            program=program,
            full_name=name,
            enrollment_start=today - timedelta(days=14),
            expected_end=today + timedelta(days=70),
            primary_counselor_id=counselor_id,
            status="active",
        )
        db.session.add(client)
        db.session.flush()
    return client


def _link(user, client):
    """A signed consent from the client and the family link it allows (as the care demo does)."""
    from portal.auth.models import User
    from portal.care import access, services
    from portal.care.models import FamilyLink
    from portal.clock import utcnow
    from portal.extensions import db

    now = utcnow()
    terms = services.consent_terms(
        client,
        recipient_name=user.display_name,
        recipient_relationship="parent",
        recipient_email=user.email,
        includes_attendance=True,
        purpose="To take part in family sessions and support recovery.",
        expires_on=None,
        today=access.consent_today(now),
        language="en",
    )
    witness = db.session.scalar(sa.select(User).filter_by(email="counselor@example.org"))
    consent = services.record_consent(
        client, terms, signature_name=client.full_name, witness=witness, now=now, detail={"via": "bench"}
    )
    db.session.add(FamilyLink(user_id=user.id, client=client, consent=consent))


def _room(slug):
    from portal.extensions import db
    from portal.rooms.models import Room, RoomKind
    from portal.sanitize import markdown_to_html

    if db.session.scalar(sa.select(Room.id).filter_by(slug=slug)) is None:
        description = "A room for the mixed-load benchmark."
        db.session.add(
            Room(
                slug=slug,
                name=slug.replace("-", " ").capitalize(),
                kind=RoomKind.ALL_FAMILIES.value,
                description=description,
                description_html=str(markdown_to_html(description)).strip(),
            )
        )


if __name__ == "__main__":
    print(json.dumps(ensure(int(sys.argv[1]))))
