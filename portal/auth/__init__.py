"""Accounts: sign-up, email verification, sign-in and out, password reset, two-step sign-in, account settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

# The view modules add their routes (and hooks) to bp; importing the package registers them all.
from portal.auth import account_views, mfa_views, routes, web  # noqa: E402, F401
