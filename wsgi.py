"""Entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""

import os

from portal import create_app
from portal.extensions import socketio
from portal.mail.worker import start_background_delivery

app = create_app()

# A serving process (gunicorn's worker, `python wsgi.py`) delivers queued mail in the
# background; `flask …` commands (which set FLASK_RUN_FROM_CLI) do not.
if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
    start_background_delivery(app)

if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "5000")), allow_unsafe_werkzeug=True)
