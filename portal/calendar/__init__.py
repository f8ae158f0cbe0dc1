"""Calendar: family sessions, recurrence, RSVP, attendance, feeds, reminders."""

from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

# The view modules add their routes (and hooks) to bp; importing the package registers them all.
from portal.calendar import events_hooks, manage, routes  # noqa: E402, F401
