"""The language switch in the header of every page (a small POST form: works without JavaScript)."""

from flask import redirect, request, session
from flask_login import current_user

from portal.auth import bp, services
from portal.i18n import SESSION_KEY, page_switched_from, supported
from portal.security import safe_next


@bp.post("/language")
def set_language():
    """Speak the chosen language from now on: a visitor's choice lives in the session cookie, a
    signed-in person's on their account (`users.locale`), so it follows them to every device.
    Anything but a supported language changes nothing; the person goes back to the same page
    (`next`, else the page the form was on, from Referer), never to another site."""
    code = supported(request.form.get("locale"))
    if code is not None:
        session[SESSION_KEY] = code  # kept after signing out, too
        if current_user.is_authenticated and current_user.locale != code:
            services.set_locale(current_user, code)
    return redirect(safe_next(request.form.get("next") or page_switched_from(), default="main.home"), code=303)
