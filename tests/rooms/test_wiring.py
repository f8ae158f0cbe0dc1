"""create_app wires the /chat handlers explicitly onto the Socket.IO server it made."""

from portal import create_app

CHAT_EVENTS = {"connect", "disconnect", "join", "send", "history", "leave", "typing", "flag", "edit", "delete", "read"}
CHAT_EVENTS |= {"react", "context"}  # issue 12, the conversation (docs/realtime.md)
CHAT_EVENTS |= {"checkin_posts"}  # private check-ins, live (docs/realtime.md)


def test_every_app_has_the_chat_handlers_on_its_own_server():
    servers = []
    for _ in range(2):
        app = create_app("testing")
        server = app.extensions["socketio"].server
        assert set(server.handlers["/chat"]) == CHAT_EVENTS
        servers.append(server)
    assert servers[0] is not servers[1]


def test_flask_socketio_keeps_no_handler_list_of_its_own():
    """The old workaround swapped socketio.server to park handlers in socketio.handlers."""
    create_app("testing")
    assert create_app("testing").extensions["socketio"].handlers == []
