"""Locale and time-zone selection, and formatting in the viewer's zone."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, g, request
from flask_login import current_user
from wtforms import SelectChoice


def select_locale():
    # During a database outage the person's row cannot be read (it may even be expired by the
    # rollback): the error page and acks use the browser's language instead (errors.py).
    signed_in = not g.get("database_down") and current_user.is_authenticated
    if signed_in and current_user.locale in current_app.config["LANGUAGES"]:
        return current_user.locale
    if not request:
        return "en"
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def select_timezone():
    if not g.get("database_down") and current_user.is_authenticated:
        return current_user.timezone
    return None


def is_valid_timezone(name):
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def timezone_choices():
    """IANA zones for forms, the common American ones first."""
    common = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
        "America/Puerto_Rico",
    ]
    rest = sorted(z for z in available_timezones() if "/" in z and z not in common and not z.startswith("Etc"))
    return [SelectChoice(z, z.replace("_", " ")) for z in common + rest]
