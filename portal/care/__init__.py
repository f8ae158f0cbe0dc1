"""Care: programs, clients (IOP enrollment), consents, family links, invitations, and the access rule."""

from flask import Blueprint

bp = Blueprint("care", __name__, url_prefix="/care")

# The view modules add their routes (and hooks) to bp; importing the package registers them all.
from portal.care import routes, routes_consents, routes_family  # noqa: E402, F401
