"""Administration: users and roles, deactivation, the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The view modules add their routes (and hooks) to bp; importing the package registers them all.
from portal.admin import routes  # noqa: E402, F401
