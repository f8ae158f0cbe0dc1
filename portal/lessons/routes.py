"""HTTP routes for lessons."""

from flask import Blueprint

bp = Blueprint("lessons", __name__, url_prefix="/lessons")
