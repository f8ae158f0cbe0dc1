"""HTTP routes for rooms."""

from flask import Blueprint

bp = Blueprint("rooms", __name__, url_prefix="/rooms")
