"""Accounts: sign-up, email verification, sign-in and out, password reset, two-step sign-in, account settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

# The modules that add routes and hooks to bp; create_app imports them before registering it.
VIEWS = ("account_views", "language", "mfa_views", "routes", "sessions", "web")
