"""Lessons: modules, lessons, knowledge checks, progress, reflections, certificates, authoring."""

from flask import Blueprint

bp = Blueprint("lessons", __name__, url_prefix="/lessons")

# The view modules add their routes (and hooks) to bp; importing the package registers them all.
from portal.lessons import routes, routes_authoring, routes_personal  # noqa: E402, F401
