"""Locale and time-zone selection, and formatting in the viewer's zone."""

from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user
from wtforms import SelectChoice

# Each language named in itself (never translated): the header switch offers the other one.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
SESSION_KEY = "locale"  # a visitor's choice, in the signed session cookie


def supported(code):
    """The language code if the portal speaks it, else None (anything from a request is hostile)."""
    if isinstance(code, str) and code in current_app.config["LANGUAGES"]:
        return code
    return None


def select_locale():
    """The language of this request: `?lang=`, then the signed-in person's account setting, then
    a visitor's choice in the session cookie, then the browser's Accept-Language, then English."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = supported(request.args.get("lang"))
    if chosen:
        return chosen
    # During a database outage the person's row cannot be read (it may even be expired by the
    # rollback): the error page and acks use the browser's language instead (errors.py).
    signed_in = not g.get("database_down") and current_user.is_authenticated
    if signed_in and supported(current_user.locale):
        return current_user.locale
    chosen = supported(session.get(SESSION_KEY))
    if chosen:
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def remember_requested_language():
    """A visitor who opens a page with `?lang=es` keeps Spanish on the next pages (before_request)."""
    chosen = supported(request.args.get("lang"))
    if chosen and session.get(SESSION_KEY) != chosen:
        session[SESSION_KEY] = chosen


def page_switched_from():
    """The same-site page the switch was pressed on (from Referer, sent by the Referrer-Policy
    same-origin), without `lang=`; None when it is missing or names another site."""
    referrer = request.referrer
    if not referrer or len(referrer) > 2000:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host:
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return parts.path + ("?" + urlencode(query) if query else "")


def other_languages(current):
    """(code, name) of the languages the switch offers on a page shown in `current`."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"] if code != current]


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
