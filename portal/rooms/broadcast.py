"""The only place that emits Socket.IO events, so HTTP moderation and socket handlers share
one path — and, with a message queue (`REDIS_URL`), it reaches sockets on every process."""

from portal.extensions import socketio
from portal.notifications.services import notification_created
from portal.rooms import presence, wordlists

NAMESPACE = "/chat"
MODERATORS = "moderators"


def room_channel(slug):
    return f"room:{slug}"


def user_channel(user_id):
    return f"user:{user_id}"


def _emit(event, data, to, skip_sid=None):
    socketio.emit(event, data, to=to, namespace=NAMESPACE, skip_sid=skip_sid)


def message(payload):
    _emit("message", payload, room_channel(payload["room"]))


def posted(result, payload):
    """Everything that follows a newly committed message (never before the commit), whether it
    came by socket `send` or by the composer form: the room (or, when held, the author and the
    moderators) and, for a crisis phrase, the author's support resources and a priority alert.

    The author's id comes from the payload: the commit has expired the user row, and reading it
    again would cost two statements before the broadcast."""
    author_id = payload["author"]["id"]
    if result.held:
        held_message(author_id, payload, crisis=result.crisis)
        moderation_alert({"kind": "held", "priority": False, "room": payload["room"], "message": payload})
    else:
        message(payload)
    if result.crisis:
        support(author_id, wordlists.support_resources())
        moderation_alert({"kind": "crisis", "priority": True, "room": payload["room"], "message": payload})


def message_edited(payload):
    _emit("message_edited", payload, room_channel(payload["room"]))


def message_removed(message_id, slug):
    _emit("message_removed", {"id": message_id, "room": slug}, room_channel(slug))


def message_context(data):
    """A new message's reply and mentions (issue 12), right after its `message`."""
    _emit("message_context", data, room_channel(data["room"]))


def reactions(data):
    """A message's support reaction counts changed."""
    _emit("reactions", data, room_channel(data["room"]))


def pins(data):
    """The room's pinned messages changed (a moderator pinned or unpinned one)."""
    _emit("pins", data, room_channel(data["room"]))


def typing(slug, display_name, skip_sid=None):
    _emit("typing", {"room": slug, "display_name": display_name}, room_channel(slug), skip_sid=skip_sid)


def presence_changed(slug, names):
    _emit("presence", {"room": slug, "online": names}, room_channel(slug))


def room_updated(room):
    data = {
        "room": room.slug,
        "locked": room.locked,
        "slow_mode_seconds": room.slow_mode_seconds,
        "archived": room.archived,
        "name": room.name,
        "description_html": room.description_html,
    }
    _emit("room_updated", data, room_channel(room.slug))


def support(user_id, resources):
    _emit("support", resources, user_channel(user_id))


def notice(user_id, text):
    _emit("notice", {"text": text}, user_channel(user_id))


@notification_created.connect
def notification(sender, user_id=None, payload=None, **extra):
    """A notice was stored for this person (portal/notifications): their open sockets update the bell."""
    _emit("notification", payload, user_channel(user_id))


def checkin_post(user_ids, post):
    """A new post in a private check-in, to the personal channel of each person who may read
    the thread (`checkins.readers`): one emit, which the message queue carries to every process."""
    if not user_ids:
        return
    _emit("checkin_post", post, [user_channel(user_id) for user_id in user_ids])


def moderation_alert(item):
    """A new item in the review queue; crisis alerts carry `priority: true`."""
    _emit("moderation_alert", item, MODERATORS)


def held_message(author_id, payload, crisis=False, sid=None):
    """Tell the author that a message waits for review (`"crisis": true` when staff keep it for
    a crisis): all their tabs, or (`sid`: a `join` catching up) the one socket that joined."""
    _emit("held", payload | {"crisis": True} if crisis else payload, sid or user_channel(author_id))


def delivery_paused_to(sid):
    """Tell a socket that just connected when live delivery between processes is paused (the
    message queue is away, portal/rooms/relay.py); the manager says when it is back."""
    manager = socketio.server.manager
    if getattr(manager, "live", True) is False:
        manager.emit("delivery", {"live": False}, namespace=NAMESPACE, to=sid, ignore_queue=True)


def move_sockets_elsewhere(server):
    """This process is stopping (gunicorn reload or shutdown): tell each of its /chat sockets
    (`server_restarting`, this process only) and close their connections *without* a
    Socket.IO disconnect, which the clients would take as final. They see a dropped
    transport, reconnect at once — to the new worker — and rejoin with `after_id`.
    Returns how many sockets were asked to move."""
    manager = server.manager
    sockets = list(manager.get_participants(NAMESPACE, None))
    if not sockets:
        return 0
    manager.emit("server_restarting", {}, namespace=NAMESPACE, room=None, ignore_queue=True)
    for _sid, eio_sid in sockets:
        connection = server.eio.sockets.pop(eio_sid, None)
        if connection is not None:
            # abort: no Engine.IO "close" packet, which some clients (python-socketio) also take
            # as final; the connection just ends, as when a network drops, and they reconnect
            connection.close(wait=False, abort=True, reason=server.eio.reason.SERVER_DISCONNECT)
    return len(sockets)


def disconnect_user(user_id, keep_record_ids=()):
    """Drop this person's sockets on any server process, except those of sessions still live."""
    store = presence.store()
    for sid, record_id in store.session_records_of(store.sids_of_user(user_id)).items():
        if record_id is not None and record_id in keep_record_ids:
            continue
        end_socket(sid)


def end_socket(sid):
    """Tell one socket its session ended, and close it."""
    _emit("session_ended", {}, sid)
    socketio.server.disconnect(sid, namespace=NAMESPACE)


def leave_moderators(user_id):
    """Take this person's sockets out of the moderators' channel (no more review alerts)."""
    for sid in presence.store().sids_of_user(user_id):
        socketio.server.leave_room(sid, MODERATORS, namespace=NAMESPACE)


def remove_from_room(user_id, slug):
    """Take this person's sockets out of a room they may no longer read."""
    store = presence.store()
    for sid in store.sids_of_user(user_id):
        socketio.server.leave_room(sid, room_channel(slug), namespace=NAMESPACE)
        store.leave(slug, sid)
    _emit("access_ended", {"room": slug}, user_channel(user_id))
