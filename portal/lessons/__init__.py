"""Lessons: modules, lessons, knowledge checks, progress, reflections, certificates, authoring."""

from flask import Blueprint

bp = Blueprint("lessons", __name__, url_prefix="/lessons")

# The modules that add routes and hooks to bp; create_app imports them before registering it.
VIEWS = (
    "routes",
    "routes_authoring",
    "routes_personal",
    "routes_worksheets",
    "routes_practice",
    "picker_views",
    "routes_assign",
    "notices",
)
