"""Socket.IO handlers for the /chat namespace (a contract: docs/architecture.md, detailed in docs/realtime.md).

Identity comes from the server-side session only, looked up afresh on every event (the
session record, the account, a suspension, program consent), never from the payload.
"""

import contextlib
import logging
import threading
import time
from functools import wraps

import gevent
from flask import current_app, g, request
from flask_login import current_user
from flask_socketio import disconnect, join_room, leave_room, rooms
from socketio.exceptions import ConnectionRefusedError as Refused

from portal import errors
from portal.auth.models import SessionRecord
from portal.auth.sessions import current_session_record, sessions_revoked, touch_session
from portal.auth.web import staff_must_enrol
from portal.extensions import db, socketio
from portal.rooms import access, broadcast, checkins, conversation, presence, services, wordlists
from portal.rooms.broadcast import MODERATORS, NAMESPACE, room_channel, user_channel
from portal.rooms.errors import RoomError

log = logging.getLogger("portal.rooms")
TYPING_EVERY = 2.0  # seconds between typing notices per socket
_last_typing = {}


def fresh_user(payload=None, rules=None, allowed=access.may_chat):
    """(user, session record, RoomRules or None) for the signed-in, active, unsuspended user of
    this socket, looked up now (not cached); None when there is no such user, or when
    `allowed(user, rules)` says no (room events: `access.may_chat`; connecting and check-in
    events also let counselors in, `checkins.may_connect`).

    `rules` ("room" or "send") with a payload naming a room: the suspension is read in the same
    statement as the room and the person's standing in it (`access.load_rules`); the handler's
    checks then take those answers instead of one statement per question.
    """
    g.pop("database_down", None)
    g.pop("session_record", None)
    g.pop("_login_user", None)
    g.pop("rooms_watched_words", None)
    g.pop("_flask_babel", None)  # the language of this event: this person's, chosen again
    record = current_session_record()
    if record is None or record.mfa_pending:
        return None
    user = current_user._get_current_object()
    room_rules = None
    if rules and getattr(user, "is_authenticated", False) and user.active:
        room_rules = _load_rules(user, payload, rules)
    if not allowed(user, room_rules) or staff_must_enrol(user):
        return None
    return user, record, room_rules


def _load_rules(user, payload, rules):
    if not isinstance(payload, dict):
        return None
    slug = payload.get("room")
    if not isinstance(slug, str) or not 0 < len(slug) <= 64:
        return None
    client_id = None
    if rules == "send":
        # an invalid client_id is answered "invalid" by post_message, after the room checks
        with contextlib.suppress(RoomError):
            client_id = services.validate_client_id(payload.get("client_id"))
    return access.load_rules(user, slug, client_id=client_id)


def chat_event(touch=True, rules=None, allowed=access.may_chat):
    """Wrap a handler: payload must be a dict, identity re-checked, RoomError → error ack.

    `rules`: see fresh_user (only for handlers whose payload names a room in `room`); such a
    handler is called with the RoomRules read (or None) as a third argument. `allowed`: who
    may send this event at all (see fresh_user)."""

    def decorator(handler):
        @wraps(handler)
        def wrapped(payload=None, *args):
            try:
                identity = fresh_user(payload, rules, allowed)
                if identity is None:
                    disconnect_after_answer()
                    return RoomError("unauthorized").as_ack()
                user, record, room_rules = identity
                if not isinstance(payload, dict):
                    raise RoomError("invalid")
                if touch:
                    touch_session(record)
                return handler(user, payload, room_rules) if rules else handler(user, payload)
            except RoomError as error:
                db.session.rollback()
                return error.as_ack()
            except Exception as error:
                return failure_ack(handler.__name__, error)

        return wrapped

    return decorator


def disconnect_after_answer():
    """End this socket once its `unauthorized` answer has left (docs/realtime.md: the answer
    comes, then the disconnect). The answer is sent only after the handler returns; a disconnect
    sent from inside the handler reaches the client first, and the client then drops the answer.

    So the socket leaves every room now (nothing more is delivered to it) and is disconnected by
    a background task once the task answering this event has finished. Where events are answered
    inline (Flask-SocketIO's test client: `async_handlers` off) there is no such task; the socket
    is disconnected at once."""
    sid, namespace = request.sid, request.namespace
    for room in rooms(sid, namespace):
        if room != sid:
            leave_room(room, sid, namespace)
    if not socketio.server.async_handlers:
        disconnect()
        return
    socketio.start_background_task(_disconnect_when_done, _current_task(), sid, namespace)


def _current_task():
    """The greenlet (gevent) or thread answering this event: both have `join()`."""
    return gevent.getcurrent() if socketio.async_mode == "gevent" else threading.current_thread()


def _disconnect_when_done(answering, sid, namespace):
    answering.join(timeout=10)
    socketio.server.disconnect(sid, namespace=namespace)


def failure_ack(name, error):
    """The ack for an event that failed unexpectedly. The database or Redis being away is
    `unavailable` with `retry_after` (the browser keeps the message and sends it again): never
    `invalid`, which tells the browser to give the message up. Logged without the payload."""
    if errors.is_outage(error) or errors.is_redis_outage(error):
        what = "database" if errors.is_outage(error) else "redis"
        if what == "database":
            errors.mark_database_down()
        else:
            _rollback()
        log.warning("chat event %s: %s unavailable (%s)", name, what, type(error).__name__)
        return RoomError("unavailable", retry_after=errors.RETRY_AFTER).as_ack()
    _rollback()
    log.exception("chat event %s failed", name)
    return RoomError("invalid").as_ack()


def _rollback():
    try:
        db.session.rollback()
    except Exception as error:  # noqa: BLE001
        if not errors.is_outage(error):
            raise
        errors.mark_database_down()


# --- payload fields ---------------------------------------------------------------------------


def _slug(payload):
    slug = payload.get("room")
    if not isinstance(slug, str) or not 0 < len(slug) <= 64:
        raise RoomError("invalid")
    return slug


def _int(payload, key, required=True, low=0, high=services.MAX_ID):
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RoomError("invalid")
    return value


def _online_names(slug):
    return services.online_names(presence.store().online_user_ids(slug))


def announce_presence(slug):
    """Tell the room who is online: at once, or (ROOMS_PRESENCE_INTERVAL > 0) in the next
    per-room batch, so that many joins or leaves in a moment cost one broadcast, not one each.
    Returns the list when it was read now (a join's ack shows the same one), else None."""
    app = current_app._get_current_object()
    interval = app.config["ROOMS_PRESENCE_INTERVAL"]
    if not interval:
        return _broadcast_presence(slug)
    state = app.extensions.setdefault("rooms_presence_batch", {"lock": threading.Lock(), "due": set()})
    with state["lock"]:
        start = not state["due"]
        state["due"].add(slug)
    if start:
        socketio.start_background_task(_presence_batches, app, state, interval)
    return None


def _presence_batches(app, state, interval):
    """Background task: every `interval` seconds announce the rooms whose presence changed,
    until a round finds none (the next change starts a new task)."""
    while True:
        socketio.sleep(interval)
        with state["lock"]:
            due, state["due"] = state["due"], set()
        if not due:
            return
        with app.app_context():
            try:
                for slug in sorted(due):
                    _broadcast_presence(slug)
            except Exception:
                log.exception("presence broadcast failed")
            finally:
                db.session.remove()


def _broadcast_presence(slug):
    """Broadcast who is online, unless this process last announced the very same list
    (a second tab, or hundreds of sockets of a few people, would otherwise flood the room)."""
    names = _online_names(slug)
    announced = presence.store().announced
    if announced.get(slug) != names:
        announced[slug] = names
        broadcast.presence_changed(slug, names)
    return names


# --- connection -------------------------------------------------------------------------------


def on_connect(auth=None):
    try:
        identity = fresh_user(allowed=checkins.may_connect)
        if identity is not None:
            _welcome(*identity)
    except Exception as error:
        # Refuse at once (during an outage too): an exception here would leave the client
        # waiting for an answer that never comes.
        failure_ack("connect", error)
        raise Refused("unavailable") from None  # the client's connect_error says "unavailable"
    if identity is None:
        raise ConnectionRefusedError("unauthorized")


def _welcome(user, record, _rules=None):
    join_room(user_channel(user.id))
    if access.is_moderator(user):
        join_room(MODERATORS)
    presence.store().connect(request.sid, user.id, record.id)
    broadcast.delivery_paused_to(request.sid)
    if services.review_display_name(user):
        broadcast.moderation_alert({"kind": "name", "priority": False, "room": None, "message": None})


def on_disconnect(reason=None):
    _last_typing.pop(request.sid, None)
    try:
        rooms = presence.store().disconnect(request.sid)
        for slug in rooms:
            announce_presence(slug)
    except Exception:
        db.session.rollback()
        log.exception("presence update after disconnect failed")


# --- the contract's events --------------------------------------------------------------------


@chat_event(rules="room")
def on_join(user, payload, rules):
    slug = _slug(payload)
    after_id = _int(payload, "after_id", required=False)
    room = access.room_by_slug(slug, rules)
    access.check_may_read(user, room, rules)
    # Subscribe first, read second: a message committed after this read is broadcast after its
    # commit, so it reaches this socket live; one committed before is in the read. (Read first
    # and a message broadcast in between reaches neither.) Ids are commit-ordered per room
    # (services.post_message), so "ids > after_id" misses nothing that is committed.
    join_room(room_channel(slug))
    try:
        message_data, has_more = services.join_messages(room, after_id)
    except Exception:
        leave_room(room_channel(slug))
        raise
    # Everything read from the rows before mark_read may commit: the commit expires them, and
    # each would then be loaded again.
    held = [(services.message_payload(m), crisis) for m, crisis in services.held_for_author(user, room)]
    room_data, may_post = room.as_payload(), _may_post(user, room, rules)
    presence.store().enter(slug, request.sid, user.id)
    if message_data:  # ids just read from the room: no need to cap them at its newest
        newest = message_data[-1]["id"]
        last_read = services.mark_read(user, room, newest, newest=newest)
    else:
        last_read = services.mark_read(user, room, after_id)
    online = announce_presence(slug)
    for payload, crisis in held:  # the person's own posts still in review: only they see them
        broadcast.held_message(user.id, payload, crisis=crisis, sid=request.sid)
    room_data |= {
        "online": _online_names(slug) if online is None else online,
        "may_post": may_post,
        "last_read_id": last_read,
    }
    return {"ok": True, "room": room_data, "messages": message_data, "has_more": has_more}


def _may_post(user, room, rules):
    try:
        access.check_may_post(user, room, rules)
    except RoomError as error:
        return error.code
    return True


@chat_event(rules="send")
def on_send(user, payload, rules):
    slug = _slug(payload)
    body = payload.get("body")
    try:
        room = access.room_by_slug(slug, rules)
        # `reply_to` (issue 12) is optional: a send without it is the contract's send
        posted = conversation.post(user, room, body, payload.get("client_id"), rules, payload.get("reply_to"))
    except RoomError as error:
        if error.code not in {"invalid", "unauthorized"} and isinstance(body, str) and wordlists.is_crisis(body):
            broadcast.support(user.id, wordlists.support_resources())
        raise
    message = posted.payload
    if posted.created:
        broadcast.posted(posted, message)
        conversation.announce(posted)
    if posted.held and posted.crisis:  # held for staff: the note says someone will reach out
        return RoomError(
            "held_for_review",
            client_id=message["client_id"],
            id=message["id"],
            crisis=True,
            message=services.crisis_note(),
        ).as_ack()
    if posted.held:
        return RoomError("held_for_review", client_id=message["client_id"], id=message["id"]).as_ack()
    return {"ok": True, "message": message}


@chat_event(rules="room")
def on_history(user, payload, rules):
    slug = _slug(payload)
    before_id = _int(payload, "before_id", low=1)
    limit = _int(payload, "limit", required=False, low=1, high=services.HISTORY_MAX) or services.HISTORY_MAX
    room = access.room_by_slug(slug, rules)
    access.check_may_read(user, room, rules)
    messages, has_more = services.latest_messages(room, limit=limit, before_id=before_id)
    return {"ok": True, "messages": messages, "has_more": has_more}


@chat_event(touch=False)
def on_leave(user, payload):
    slug = _slug(payload)
    leave_room(room_channel(slug))
    if slug in presence.store().rooms_of(request.sid):
        presence.store().leave(slug, request.sid)
        announce_presence(slug)
    return {"ok": True}


@chat_event(touch=False, rules="room")
def on_typing(user, payload, rules):
    slug = _slug(payload)
    now = time.monotonic()
    if now - _last_typing.get(request.sid, 0) < TYPING_EVERY:
        return None
    room = access.room_by_slug(slug, rules)
    access.check_may_post(user, room, rules)
    _last_typing[request.sid] = now
    broadcast.typing(slug, services.public_name(user), skip_sid=request.sid)
    return None


@chat_event()
def on_flag(user, payload):
    message = services.message_by_id(payload.get("message_id"))
    reason = payload.get("reason", "")
    if services.flag_message(user, message, reason):
        broadcast.moderation_alert(
            {"kind": "flag", "priority": False, "room": message.room.slug, "message": services.message_payload(message)}
        )
    return {"ok": True}


# --- events beyond the contract (docs/realtime.md) --------------------------------------------


@chat_event()
def on_edit(user, payload):
    message = services.own_message(user, payload.get("message_id"))
    services.edit_message(user, message, payload.get("body"))
    data = services.message_payload(message)
    if message.is_visible:
        broadcast.message_edited(data)
    return {"ok": True, "message": data}


@chat_event()
def on_delete(user, payload):
    message = services.own_message(user, payload.get("message_id"))
    services.delete_message(user, message)
    broadcast.message_removed(message.id, message.room.slug)
    return {"ok": True}


@chat_event(touch=False, rules="room")
def on_read(user, payload, rules):
    room = access.room_by_slug(_slug(payload), rules)
    access.check_may_read(user, room, rules)
    services.mark_read(user, room, _int(payload, "last_id"))
    return {"ok": True}


# --- wiring ----------------------------------------------------------------------------------

#: The /chat events and their handlers (docs/realtime.md lists the protocol).
HANDLERS = {
    "connect": on_connect,
    "disconnect": on_disconnect,
    "join": on_join,
    "send": on_send,
    "history": on_history,
    "leave": on_leave,
    "typing": on_typing,
    "flag": on_flag,
    "edit": on_edit,
    "delete": on_delete,
    "read": on_read,
}


def register_realtime(app):
    """Install the /chat handlers on the Socket.IO server that `socketio.init_app(app)` made.

    Flask-SocketIO puts a handler on the server that exists when it is registered, so the
    factory calls this after init_app, once per app (tests build many apps in one process).
    """
    for event, handler in HANDLERS.items():
        socketio.on_event(event, handler, namespace=NAMESPACE)


# --- signals from the rest of the portal ------------------------------------------------------


@sessions_revoked.connect
def _drop_revoked_sockets(sender, user_id=None, **kwargs):
    """Logout, deactivation, password reset, suspension: the sockets of the ended sessions end
    now (a "sign out other sessions" keeps the socket of the session that asked for it)."""
    if user_id is None:
        return
    live = db.session.scalars(
        db.select(SessionRecord.id).where(SessionRecord.user_id == user_id, SessionRecord.revoked_at.is_(None))
    ).all()
    broadcast.disconnect_user(user_id, keep_record_ids=set(live))
