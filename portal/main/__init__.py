"""The home page, the per-role dashboard and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

# The view modules add their routes (and hooks) to bp; importing the package registers them all.
from portal.main import routes  # noqa: E402, F401
