"""The production app plus two testing-only hooks, served by gunicorn in tests/test_production.py.

Nothing here is part of the portal: the routes exist only in this module, which production
never loads. `/_test/wait-for-lock` blocks inside PostgreSQL (on an advisory lock the test
holds), so the test decides when the "slow query" ends instead of guessing a duration.
The `/_test` Socket.IO namespace echoes and broadcasts without a login.
"""

from flask import Blueprint, jsonify
from flask_socketio import join_room
from sqlalchemy import text

from portal import create_app
from portal.extensions import csrf, db, socketio

LOCK_KEY = 72_0427

app = create_app()
bp = Blueprint("_test_slow", __name__, url_prefix="/_test")


@bp.get("/wait-for-lock")
def wait_for_lock():
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    db.session.commit()
    return jsonify(status="done")


@bp.get("/psycopg-wait")
def psycopg_wait():
    import psycopg.waiting
    from gevent import monkey

    return jsonify(wait=psycopg.waiting.wait.__name__, socket_patched=monkey.is_module_patched("socket"))


csrf.exempt(bp)
app.register_blueprint(bp)


@socketio.on("join", namespace="/_test")
def _join(data):
    join_room(data["room"])
    return {"ok": True}


@socketio.on("shout", namespace="/_test")
def _shout(data):
    socketio.emit("heard", data, to=data["room"], namespace="/_test")
    return {"ok": True}
