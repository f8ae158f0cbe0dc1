"""Start here: a family member's dashboard opens with a short welcome until they take a first step
or skip it (a POST that records users.welcomed_at); after that the welcome is a page of its own,
linked from the dashboard ("Start here")."""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from portal.clock import utcnow
from portal.extensions import db
from portal.main import bp
from portal.main.dashboard import register_panel
from portal.security import Permission

# Where each first step leads (endpoint, values); "dashboard" is skipping.
STEPS = {
    "role": ("lessons.catalogue", {"_anchor": "recommended-path"}),
    "room": ("rooms.room", {"slug": "welcome"}),
    "sessions": ("calendar.agenda", {}),
    "dashboard": ("main.dashboard", {}),
}


class StepForm(FlaskForm):
    """A first step or "skip": only the CSRF token and the button's value."""


def is_new_family_member(user):
    return (
        user.is_authenticated
        and not user.is_staff
        and user.can(Permission.SEE_FAMILY)
        and getattr(user, "welcomed_at", None) is None
    )


@bp.get("/welcome")
@login_required
def welcome():
    return render_template("main/welcome.html", form=StepForm())


@bp.post("/welcome")
@login_required
def welcome_step():
    form = StepForm()
    step = request.form.get("step", "dashboard")
    if not form.validate_on_submit() or step not in STEPS:
        return redirect(url_for("main.welcome"))
    if current_user.welcomed_at is None:
        current_user.welcomed_at = utcnow()
        db.session.commit()
    endpoint, values = STEPS[step]
    if endpoint == "main.dashboard" or _may_open(endpoint):
        return redirect(url_for(endpoint, **values))
    return redirect(url_for("main.dashboard"))


def _may_open(endpoint):
    needs = {
        "lessons.catalogue": Permission.LEARN,
        "rooms.room": Permission.CHAT,
        "calendar.agenda": Permission.SEE_FAMILY,
    }
    return current_user.can(needs.get(endpoint, Permission.SEE_FAMILY))


@bp.app_context_processor
def _welcome_context():
    return {"show_welcome": is_new_family_member, "welcome_form": StepForm}


@register_panel
def start_here_panel(user):
    """Findable again: the welcome from the dashboard (family members who have seen it)."""
    if user.is_staff or not user.can(Permission.SEE_FAMILY) or user.welcomed_at is None:
        return None
    return {
        "title": _("Start here"),
        "text": _("What this portal is, who can see what, and three first steps."),
        "links": [(_("Open the welcome"), url_for("main.welcome"))],
        "priority": 90,
    }
