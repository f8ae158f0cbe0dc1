"""Rooms: peer-support rooms, messages, the /chat realtime events, moderation."""

from flask import Blueprint

bp = Blueprint("rooms", __name__, url_prefix="/rooms")

# The view modules add their routes (and hooks) to bp; importing the package registers them all.
from portal.rooms import console, routes  # noqa: E402, F401
