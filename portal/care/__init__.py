"""Care: programs, clients (IOP enrollment), consents, family links, invitations, and the access rule."""

from flask import Blueprint

bp = Blueprint("care", __name__, url_prefix="/care")

# The modules that add routes and hooks to bp; create_app imports them before registering it.
VIEWS = ("routes", "routes_consents", "routes_family", "routes_accounting")
