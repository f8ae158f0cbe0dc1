"""What every template may use: navigation, time formatting, paging (auth adds the idle-timeout figure)."""

from babel.dates import get_datetime_format
from flask import render_template, url_for
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.i18n import other_languages
from portal.paging import page_url
from portal.security import Permission

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


# "The form was understood but has field errors": the page is shown again with the errors next to
# their fields. A malformed request (no CSRF token, NUL bytes, bad UTF-8) is a 400 from errors.py.
FORM_ERRORS_STATUS = 422


def form_status(*forms):
    """422 Unprocessable Content when any of these forms has a field error, else 200."""
    return FORM_ERRORS_STATUS if any(form is not None and form.errors for form in forms) else 200


def render_form(template, form, status=None, **context):
    """Render a page holding `form` (as `form`); 422 when it came back with field errors.

    The one place the status of a form page is decided: every feature's views use this (or
    `form_status` when the page names its forms differently or holds several)."""
    return render_template(template, form=form, **context), status or form_status(form)


def choice_label(field, value=None):
    """The label of the choice of a SelectField/RadioField with this value (default: its data)."""
    value = field.data if value is None else value
    return next((choice.label for choice in field.choices if choice.value == value), value)


def local_datetime(value, format="medium"):
    """A UTC datetime shown in the viewer's time zone and locale."""
    return format_datetime(value, format) if value else ""


NARROW_SPACE = "\u202f"


def message_time(value):
    """When a chat message was posted: medium date and short time in the viewer's locale and time
    zone ("Nov 30, 2026, 9:22 AM"), the same format static/js/rooms/render.js gives new messages."""
    if not value:
        return ""
    pattern = get_datetime_format("medium", locale=get_locale() or "en")
    text = pattern.replace("{1}", format_date(value, "medium")).replace("{0}", format_time(value, "short"))
    # CLDR puts a narrow no-break space before AM/PM, browsers' Intl a plain one: both say it plainly
    return text.replace(NARROW_SPACE, " ")


def register(app):
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["message_time"] = message_time
    app.jinja_env.globals["Permission"] = Permission
    app.jinja_env.globals["choice_label"] = choice_label
    app.jinja_env.globals["page_url"] = page_url

    @app.context_processor
    def inject():
        return {
            "navigation": navigation,
            "portal_name": app.config["PORTAL_NAME"],
            "current_locale": lambda: str(get_locale() or "en"),
            "other_languages": lambda: other_languages(str(get_locale() or "en")),
        }
