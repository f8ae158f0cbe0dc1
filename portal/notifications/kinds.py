"""The kinds of notice, the topics people choose a delivery for, and the words of each notice.

A notice's text is written when it is shown (in the reader's language and time zone), from the
few values in `Notification.data`. Emails say less than the portal: no program, treatment,
client, room or lesson is named in them, only what a family needs to act (the date and time, what
changed, the link).
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

PORTAL, EMAIL, DIGEST = "portal", "email", "digest"
CHANNELS = {
    PORTAL: _l("In the portal only"),
    EMAIL: _l("Also by email"),
    DIGEST: _l("Daily digest email"),
}


@dataclass(frozen=True)
class Topic:
    key: str
    label: object
    default: str


TOPICS = {
    t.key: t
    for t in (
        Topic("sessions", _l("Family sessions: new, moved or cancelled"), EMAIL),
        Topic("waitlist", _l("A place for you at a session"), EMAIL),
        Topic("access", _l("Changes to what you can see"), EMAIL),
        Topic("moderation", _l("Notes from the moderators about you"), EMAIL),
        Topic("lessons", _l("Lessons and worksheets from your counselor"), EMAIL),
        # by email only when the person is not in the rooms at that moment (rooms.conversation)
        Topic("mentions", _l("Mentions and replies in rooms"), EMAIL),
    )
}

# Reminder emails before a session you said you would attend (`flask reminders send`).
REMINDERS = "reminders"
REMINDER_LEADS = {
    "none": _l("No reminders"),
    "2h": _l("2 hours before"),
    "1d": _l("1 day before"),
    "both": _l("1 day before and 2 hours before"),
}
DEFAULT_REMINDER_LEAD = "1d"

# kind → topic. Others may add kinds with `register_kind` (their words in `describe`/`email_text`).
KINDS = {
    "session_new": "sessions",
    "session_changed": "sessions",
    "session_cancelled": "sessions",
    "waitlist_promoted": "waitlist",
    "access_ended": "access",
    "moderation_warning": "moderation",
    "post_hidden": "moderation",
    "lesson_assigned": "lessons",
    "mention": "mentions",
    "reply": "mentions",
    "checkin_post": "moderation",  # a staff member's post in a private check-in (portal/rooms)
    "crisis_alert": "moderation",  # staff on call: a crisis post waits (emailed by portal/rooms/crisis)
}


# Kinds whose link names what an email must not (a lesson's address says its subject): their
# emails link to the notice in the portal, behind the sign-in, which links on.
NAMING_LINKS = {"lesson_assigned", "mention", "reply"}  # a room's address names the room


def register_kind(kind, topic):
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    KINDS[kind] = topic


def when_text(value, user):
    """A UTC time (datetime or ISO string) as the reader reads it: "Tuesday, December 8, 2026, 7:30 PM
    (America/New York)" in their language and time zone."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    zone_name = getattr(user, "timezone", None) or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (KeyError, ValueError):
        zone, zone_name = ZoneInfo("UTC"), "UTC"
    local = moment.astimezone(zone)
    locale = getattr(user, "locale", None) or "en"
    day = format_date(local, "full", locale=locale)
    # CLDR puts a narrow no-break space before AM/PM; plain-text mail readers show it badly
    clock = format_time(local, "short", tzinfo=zone, locale=locale).replace("\u202f", " ")
    return f"{day}, {clock} ({zone_name.replace('_', ' ')})"


def _session_lines(kind, data, user):
    when = when_text(data.get("start"), user)
    if kind == "session_new":
        return [_("A family session was planned for %(when)s.", when=when)]
    if kind == "session_cancelled":
        return [_("The family session on %(when)s is cancelled.", when=when)]
    if kind == "waitlist_promoted":
        return [_("A place opened up for you at the family session on %(when)s: you are now going.", when=when)]
    changes = data.get("changes") or []
    lines = []
    if "time" in changes:
        lines.append(_("A family session has moved to %(when)s.", when=when))
        if data.get("previous"):
            lines.append(_("It was planned for %(when)s.", when=when_text(data["previous"], user)))
    else:
        lines.append(_("The family session on %(when)s has changed.", when=when))
    if "link" in changes:
        lines.append(_("The online meeting link has changed."))
    if "place" in changes:
        lines.append(_("The place has changed."))
    return lines


def day_text(value, user):
    """A date (ISO string) in the reader's language: "December 8, 2026"."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return ""
    return format_date(day, "long", locale=getattr(user, "locale", None) or "en")


def _assigned_title(title, is_module):
    return _("%(title)s (the whole module)", title=title) if is_module else title


def _assigned_lines(data, user):
    """A counselor's assignment: what to read (one or several), by when, and their note."""
    titles = data.get("titles") or [data.get("title", "")]
    modules = data.get("modules") or []
    named = [_assigned_title(t, i < len(modules) and modules[i]) for i, t in enumerate(titles)]
    if len(named) == 1:
        lines = [_("Your counselor suggested “%(title)s”.", title=named[0])]
    else:
        lines = [_("Your counselor suggested: %(titles)s.", titles=", ".join(f"“{t}”" for t in named))]
    lines.extend(_due_line(data, user))
    if data.get("note"):
        lines.append(data["note"])
    return lines


def _due_line(data, user):
    due = day_text(data.get("due"), user)
    return [_("Suggested by %(date)s.", date=due)] if due else []


def source(notification):
    """Who a notice comes from, when the list should say it ("From your counselor"), else None."""
    if notification.kind == "lesson_assigned":
        return _("From your counselor")
    return None


def describe(notification, user):
    """The notice in the portal, as a list of plain-text lines (the first is its headline)."""
    kind, data = notification.kind, notification.data or {}
    if kind.startswith("session_") or kind == "waitlist_promoted":
        return _session_lines(kind, data, user)
    if kind == "access_ended":
        return [
            _("Your access to some information in the portal has ended."),
            _(
                "Sessions and details shared through that consent are no longer shown to you. "
                "If you have questions, please ask the counselor who invited you."
            ),
        ]
    if kind == "moderation_warning":
        return [_("A note from the moderators: %(reason)s", reason=data.get("reason", ""))]
    if kind == "post_hidden":
        return [
            _(
                "A moderator removed your message in “%(room)s”. Reason: %(reason)s",
                room=data.get("room", ""),
                reason=data.get("reason", ""),
            )
        ]
    if kind == "lesson_assigned":
        return _assigned_lines(data, user)
    if kind == "crisis_alert":
        return [_("A post in the rooms is waiting for you")]
    if kind == "checkin_post":
        return [_("A staff member wrote to you privately. Open the conversation to read and answer.")]
    if kind in ("mention", "reply"):
        if kind == "mention":
            return [_("%(name)s mentioned you in “%(room)s”.", name=data.get("name", ""), room=data.get("room", ""))]
        return [_("%(name)s replied to you in “%(room)s”.", name=data.get("name", ""), room=data.get("room", ""))]
    return [data.get("text") or _("You have a new notice.")]


def email_text(notification, user):
    """(subject, lines) for an email: neutral, but with the date, time and what changed."""
    kind = notification.kind
    name = current_app.config["PORTAL_NAME"]
    title = current_app.config["NEUTRAL_EVENT_TITLE"]
    if title == "Family session":  # the default is said in the reader's language (as calendar.feeds does)
        title = _("Family session")
    if kind.startswith("session_") or kind == "waitlist_promoted":
        subjects = {
            "session_new": _("%(title)s: a new date", title=title),
            "session_changed": _("%(title)s: a change", title=title),
            "session_cancelled": _("%(title)s: cancelled", title=title),
            "waitlist_promoted": _("%(title)s: a place for you", title=title),
        }
        return subjects[kind], _session_lines(kind, notification.data or {}, user)
    if kind == "access_ended":
        return _("%(portal)s: a change to what you can see", portal=name), describe(notification, user)
    if kind in ("moderation_warning", "post_hidden"):
        return (
            _("%(portal)s: a note from the moderators", portal=name),
            [_("The moderators have left a note for you. Please sign in to read it.")],
        )
    if kind == "checkin_post":
        return (
            _("%(portal)s: a private message from staff", portal=name),
            [_("A staff member wrote to you privately. Please sign in to read it.")],
        )
    if kind in ("mention", "reply"):
        return (
            _("%(portal)s: someone wrote to you in the rooms", portal=name),
            [_("Someone mentioned you or answered you in the rooms. Please sign in to read it.")],
        )
    if kind == "lesson_assigned":
        return (
            _("%(portal)s: something to read from your counselor", portal=name),
            [
                _("Your counselor suggested something for you to read. Please sign in to see it."),
                *_due_line(notification.data or {}, user),
            ],
        )
    return _("%(portal)s: a new notice", portal=name), [_("You have a new notice. Please sign in to see it.")]
