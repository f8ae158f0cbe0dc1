"""HTTP routes for care."""

from flask import Blueprint

bp = Blueprint("care", __name__, url_prefix="/care")
