"""What every template may use: navigation, time formatting, the idle-timeout figures."""

from flask import url_for
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.paging import page_url
from portal.security import Permission, idle_limit_seconds

# (endpoint, label, permission or None for any signed-in user). Features add theirs here.
NAVIGATION = [
    ("main.dashboard", _l("Dashboard"), None),
    ("lessons.catalogue", _l("Learn"), Permission.LEARN),
    ("rooms.index", _l("Rooms"), Permission.CHAT),
    ("calendar.agenda", _l("Sessions"), Permission.SEE_FAMILY),
    ("care.my_family", _l("My family"), Permission.SEE_FAMILY),
    ("care.clients", _l("Clients"), Permission.MANAGE_CLIENTS),
    ("calendar.manage", _l("Schedule"), Permission.MANAGE_SESSIONS),
    ("rooms.console", _l("Moderation"), Permission.MODERATE),
    ("admin.users", _l("Admin"), Permission.MANAGE_USERS),
]


def navigation():
    if not current_user.is_authenticated:
        return []
    return [
        (endpoint, url_for(endpoint), label)
        for endpoint, label, permission in NAVIGATION
        if permission is None or current_user.can(permission)
    ]


def local_datetime(value, format="medium"):
    """A UTC datetime shown in the viewer's time zone and locale."""
    return format_datetime(value, format) if value else ""


def register(app):
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.globals["Permission"] = Permission
    app.jinja_env.globals["page_url"] = page_url

    @app.context_processor
    def inject():
        return {
            "navigation": navigation,
            "idle_limit_seconds": idle_limit_seconds,
            "portal_name": app.config["PORTAL_NAME"],
            "current_locale": lambda: str(get_locale() or "en"),
        }
