"""Rooms: peer-support rooms, messages, the /chat realtime events, moderation."""

from flask import Blueprint

bp = Blueprint("rooms", __name__, url_prefix="/rooms")

# The modules that add routes and hooks to bp (standing: signal receivers); create_app imports them
# before registering it.
VIEWS = ("console", "routes", "routes_checkins", "routes_convo", "routes_crisis", "routes_safety", "standing")
