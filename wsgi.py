"""Entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""

from portal import create_app
from portal.extensions import socketio

app = create_app()

if __name__ == "__main__":
    import os

    from portal import upkeep

    upkeep.start(app)
    socketio.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "5000")), allow_unsafe_werkzeug=True)
