"""Fixtures for rooms: rooms of each kind, members who accepted the guidelines, socket clients."""

import uuid

import pytest

from portal.extensions import db, socketio
from portal.rooms import presence, ratelimit
from portal.rooms.guidelines import VERSION
from portal.rooms.models import GuidelinesAcceptance, Room, RoomKind
from portal.security import Role
from tests.factories import link_family, make_client, make_program, make_user


def make_room(slug="welcome", kind=RoomKind.ALL_FAMILIES, program=None, **fields):
    room = Room(
        slug=slug,
        name=fields.pop("name", slug.title()),
        kind=kind.value,
        program_id=program.id if program else None,
        **fields,
    )
    db.session.add(room)
    db.session.commit()
    return room


def accept(user):
    db.session.add(GuidelinesAcceptance(user_id=user.id, version=VERSION))
    db.session.commit()
    return user


def member(email=None, display_name=None, established=True, accepted=True, roles=(Role.FAMILY,)):
    user = make_user(email=email, display_name=display_name, established=established, roles=roles)
    return accept(user) if accepted else user


def new_id():
    return str(uuid.uuid4())


@pytest.fixture(autouse=True)
def _clean_realtime(app):
    presence.store().clear()
    ratelimit.reset()
    yield
    presence.store().clear()
    _forget_socket_clients(app)
    db.engine.dispose()


def _forget_socket_clients(app):
    """Flask-SocketIO's test clients stay in a class-level dict (and keep their app, its engine
    and its database connections alive) unless removed."""
    from flask_socketio.test_client import SocketIOTestClient

    for key, client in list(SocketIOTestClient.clients.items()):
        if client.app is app:
            del SocketIOTestClient.clients[key]


@pytest.fixture
def welcome(app):
    return make_room("welcome", name="Welcome")


@pytest.fixture
def program_room(app):
    program = make_program("Evening IOP")
    room = make_room("evening-iop", kind=RoomKind.PROGRAM, program=program, name="Evening IOP families")
    room.test_program = program
    return room


@pytest.fixture
def linked_member(program_room):
    user = member("linked@example.org", "Jordan")
    client = make_client(program=program_room.test_program)
    user.test_link = link_family(user, client)
    return user


class Chat:
    """Sign a person in on their own HTTP client and open a /chat socket with its cookie."""

    def __init__(self, app):
        self.app = app
        self.clients = []

    def connect(self, user_or_email):
        from tests.conftest import AuthActions

        email = getattr(user_or_email, "email", user_or_email)
        http = self.app.test_client()
        auth = AuthActions(http)
        response = auth.login(email)
        assert response.status_code == 302, "login failed"
        sock = socketio.test_client(self.app, namespace="/chat", flask_test_client=http)
        sock.http = http
        sock.auth = auth
        self.clients.append(sock)
        return sock

    def close(self):
        for sock in self.clients:
            if sock.is_connected("/chat"):
                sock.disconnect(namespace="/chat")


@pytest.fixture
def chat(app):
    helper = Chat(app)
    yield helper
    helper.close()


def ack(sock, event, payload):
    return sock.emit(event, payload, namespace="/chat", callback=True)


def received(sock, name=None):
    events = sock.get_received("/chat")
    return [e for e in events if name is None or e["name"] == name]


def payloads(sock, name):
    """The data of each `name` event received (the test client unwraps "message" events)."""
    return [e["args"] if name == "message" else e["args"][0] for e in received(sock, name)]
