"""Notifications: the notice centre (bell, list, read state), preferences per topic, emails with a
one-click preference link, the daily digest and the `notification` socket event.

Other features call `portal.notifications.services.notify(user, kind, **data)`; care's
`consent_ended` signal is answered in `hooks.py`.
"""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

# The modules that add routes and hooks to bp; create_app imports them before registering it.
VIEWS = ("hooks", "routes")
