"""Administration: users and roles, deactivation, the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The modules that add routes and hooks to bp; create_app imports them before registering it.
VIEWS = ("routes", "routes_invitations")
