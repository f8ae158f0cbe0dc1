"""Demo data for rooms (docs/architecture.md): `welcome` and `evening-iop`, with a little friendly history."""

import uuid
from datetime import timedelta

import sqlalchemy as sa

from portal.care.models import Program
from portal.clock import utcnow
from portal.extensions import db
from portal.rooms import guidelines
from portal.rooms.models import GuidelinesAcceptance, Message, Room, RoomKind
from portal.sanitize import chat_to_html, markdown_to_html

PROGRAM = "Evening IOP"

ROOMS = [
    (
        "welcome",
        "Welcome",
        RoomKind.ALL_FAMILIES,
        "A friendly place for **every family member** to say hello, ask questions and share what helps.",
    ),
    (
        "evening-iop",
        "Evening IOP families",
        RoomKind.PROGRAM,
        "For families of people in the *Evening IOP*. Only family members with a current link can join.",
    ),
    (
        "familias-en-espanol",
        "Familias en español",
        RoomKind.ALL_FAMILIES,
        "Un espacio para **las familias que prefieren hablar en español**: para saludar, hacer preguntas"
        " y compartir lo que les ayuda.",
    ),
]
LANGUAGES = {"familias-en-espanol": "es"}  # the rooms not held in English

HISTORY = {
    "welcome": [
        (
            "moderator@example.org",
            "Welcome, everyone. This is a space to support each other. "
            "Please read the community guidelines, and be gentle with yourselves.",
        ),
        (
            "family@example.org",
            "Hi all, I'm Jordan. My son started the program two weeks ago. Some days I don't know what to say to him.",
        ),
        (
            "family2@example.org",
            "Hi Jordan, I'm Alex. The early weeks were hard for us too. "
            "The lesson on *listening and reflecting* really helped me.",
        ),
        ("family@example.org", "Thank you, Alex. I'll read it tonight."),
    ],
    "evening-iop": [
        ("moderator@example.org", "Hello Evening IOP families. The monthly family group is on the calendar."),
        ("family@example.org", "Looking forward to it. Is anyone else bringing their teenager?"),
    ],
    "familias-en-espanol": [
        (
            "moderator@example.org",
            "¡Bienvenidos! Este es un espacio para apoyarnos en español. "
            "Por favor, lean las normas de la comunidad y sean amables con ustedes mismos.",
        ),
        (
            "familia@example.org",
            "Hola a todos, soy Lucía. Mi hijo empezó el programa hace poco. "
            "Me alegra encontrar un lugar para hablar en mi idioma.",
        ),
        (
            "moderator@example.org",
            "Hola, Lucía. Qué bueno que está aquí. Las lecciones sobre comunicación pueden ser un buen comienzo.",
        ),
        ("familia@example.org", "Gracias. Las voy a leer esta noche."),
    ],
}


def _program():
    program = db.session.scalar(sa.select(Program).filter_by(name=PROGRAM))
    if program is None:
        program = Program(name=PROGRAM, timezone="America/New_York")
        db.session.add(program)
        db.session.flush()
    return program


def _room(slug, name, kind, description, program):
    room = db.session.scalar(sa.select(Room).filter_by(slug=slug))
    if room is None:
        room = Room(
            slug=slug,
            name=name,
            kind=kind.value,
            description=description,
            description_html=str(markdown_to_html(description)).strip(),
        )
        room.language = LANGUAGES.get(slug, "en")
        db.session.add(room)
    room.program_id = program.id if kind == RoomKind.PROGRAM else None
    room.archived = False
    db.session.flush()
    return room


def _history(room, accounts):
    has_messages = db.session.scalar(sa.select(Message.id).filter_by(room_id=room.id).limit(1))
    if has_messages is not None:
        return 0
    lines = HISTORY.get(room.slug, [])
    start = utcnow() - timedelta(hours=len(lines) + 1)
    for n, (email, body) in enumerate(lines):
        db.session.add(
            Message(
                room=room,
                author=accounts[email],
                client_id=str(uuid.uuid4()),
                body=body,
                body_html=str(chat_to_html(body)).strip(),
                created_at=start + timedelta(hours=n),
            )
        )
    return len(lines)


def _accept_guidelines(user):
    exists = db.session.scalar(
        sa.select(GuidelinesAcceptance.id).filter_by(user_id=user.id, version=guidelines.VERSION)
    )
    if exists is None:
        db.session.add(GuidelinesAcceptance(user_id=user.id, version=guidelines.VERSION))


def seed(accounts):
    """Create the demo rooms and their history, and record the guidelines as accepted (idempotent)."""
    program = _program()
    for email in ("family@example.org", "family2@example.org", "familia@example.org", "moderator@example.org"):
        if email in accounts:
            _accept_guidelines(accounts[email])
    added = 0
    for slug, name, kind, description in ROOMS:
        if any(email not in accounts for email, _ in HISTORY.get(slug, [])):
            continue  # a partial set of accounts (a test's): only the rooms whose authors exist
        added += _history(_room(slug, name, kind, description, program), accounts)
    db.session.commit()
    return [f"rooms welcome, evening-iop and familias-en-espanol ({added} demo messages added)"]
