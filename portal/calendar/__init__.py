"""Calendar: family sessions, recurrence, RSVP, attendance, feeds, reminders."""

from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

# The modules that add routes and hooks to bp; create_app imports them before registering it.
VIEWS = ("events_hooks", "manage", "routes")
