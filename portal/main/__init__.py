"""The home page, the per-role dashboard and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

# The modules that add routes and hooks to bp; create_app imports them before registering it.
VIEWS = ("routes", "shortcuts", "welcome")
