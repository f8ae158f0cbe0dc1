"""The bare baseline: a "hello" route and a bare Flask-SocketIO broadcast server.

Served with the SAME command as the portal, so a comparison measures the portal's own cost:

    gunicorn --config gunicorn.conf.py bench.hello_app:app

The /chat namespace mimics the portal's protocol shape (join → ack, send → broadcast a
Message-shaped dict to the room, then ack) without sessions, database or checks. A join's ack
carries the room's latest 50 messages, kept in memory, as the portal's does (the reconnect
storm compares the two, bench/storm.py). `react` toggles a socket's reaction on a message and
broadcasts the counts to the room (`reactions`), as the portal's does, for the fan-out with
reactions flowing.
"""

import itertools
import os
from collections import deque
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from flask_socketio import SocketIO, join_room

app = Flask(__name__)
app.config["SECRET_KEY"] = "bench-only"  # noqa: S105 - a throwaway benchmark server
_prefix = os.environ.get("REDIS_KEY_PREFIX", "fb:")
socketio = SocketIO(
    app,
    async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "gevent"),
    message_queue=os.environ.get("REDIS_URL") or None,
    channel=os.environ.get("SOCKETIO_CHANNEL") or f"{_prefix}socketio",
    cors_allowed_origins="*",
    max_http_buffer_size=64 * 1024,
)
_ids = itertools.count(1)
_latest = {}  # room -> its latest 50 messages
_room_of = {}  # message id -> room
_reactors = {}  # (message id, kind) -> the sids that reacted
KINDS = ("support", "thanks", "me_too")


@app.get("/")
def hello():
    return "hello"


@app.get("/healthz")
def healthz():
    return jsonify(status="ok", database="n/a")


@socketio.on("join", namespace="/chat")
def on_join(data):
    join_room(data["room"])
    latest = list(_latest.get(data["room"], ()))
    return {"ok": True, "room": {"slug": data["room"]}, "messages": latest, "has_more": False}


@socketio.on("send", namespace="/chat")
def on_send(data):
    message = {
        "id": next(_ids),
        "room": data["room"],
        "author": {"id": 0, "display_name": "bench"},
        "body_html": f"<p>{data.get('body', '')}</p>",
        "created_at": datetime.now(UTC).isoformat(),
        "client_id": data.get("client_id"),
        "sid": request.sid,
    }
    _latest.setdefault(data["room"], deque(maxlen=50)).append(message)
    _room_of[message["id"]] = data["room"]
    socketio.emit("message", message, to=data["room"], namespace="/chat")
    return {"ok": True, "message": message}


@socketio.on("react", namespace="/chat")
def on_react(data):
    message_id, kind = data.get("message_id"), data.get("kind")
    if message_id not in _room_of or kind not in KINDS:
        return {"ok": False, "error": "not_found"}
    _reactors.setdefault((message_id, kind), set()).symmetric_difference_update({request.sid})
    counts = {k: len(_reactors.get((message_id, k), ())) for k in KINDS}
    socketio.emit(
        "reactions",
        {"room": _room_of[message_id], "id": message_id, "counts": counts},
        to=_room_of[message_id],
        namespace="/chat",
    )
    mine = [k for k in KINDS if request.sid in _reactors.get((message_id, k), ())]
    return {"ok": True, "id": message_id, "counts": counts, "mine": mine}
