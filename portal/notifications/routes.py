"""The notice centre: the bell, the list (read when seen), one notice, preferences, and the
preference link from emails (no sign-in needed)."""

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.models import User
from portal.extensions import csrf, db
from portal.notifications import bp, kinds, services
from portal.notifications.forms import ConfirmForm, PreferencesForm
from portal.templating import render_form


@bp.app_context_processor
def bell():
    def notification_unread():
        """From the user row already loaded for the request: the header costs no statement."""
        if not current_user.is_authenticated or g.get("database_down"):
            return 0
        return max(0, getattr(current_user, "notifications_unread", 0) or 0)

    return {"notification_unread": notification_unread, "notification_bell_label": services.bell_label}


@bp.get("/")
@login_required
def index():
    """Newest first. Opening the page is what "seen" means, so the items shown are marked read;
    it works the same with or without JavaScript."""
    return _shown_and_read("notifications/index.html", services.visible_notifications(current_user), form=ConfirmForm())


@bp.get("/<int:notification_id>")
@login_required
def show(notification_id):
    notification = services.get_visible(current_user, notification_id)
    if notification is None:
        abort(404)
    return _shown_and_read("notifications/show.html", [notification])


def _entry(notification):
    """What a page shows of one notice, read before it is marked read (its "New" tag stays on
    this showing)."""
    return {
        "id": notification.id,
        "url": notification.url or url_for("notifications.show", notification_id=notification.id),
        "own_url": bool(notification.url),
        "created_at": notification.created_at,
        "lines": kinds.describe(notification, current_user),
        "source": kinds.source(notification),
        "unread": notification.read_at is None,
    }


def _shown_and_read(template, notifications, **context):
    """Render these notices, marked read first so that the bell in this page's header already
    counts only what is still unread."""
    entries = [_entry(n) for n in notifications]
    services.mark_read(current_user, notifications)
    return render_template(template, entries=entries, **context)


@bp.post("/<int:notification_id>/read")
@login_required
def read_one(notification_id):
    notification = services.get_visible(current_user, notification_id)
    if notification is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user, [notification])
    return redirect(notification.url or url_for("notifications.index"))


@bp.post("/read")
@login_required
def read_all():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.mark_all_read(current_user)
    flash(_("All notices are marked as read."))
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm()
    if not form.is_submitted():
        for key, channel in services.preferences(current_user).items():
            form[f"topic_{key}"].data = channel
        form.reminder_lead.data = services.reminder_lead(current_user)
    elif form.validate_on_submit():
        services.save_preferences(current_user, form.channels(), form.reminder_lead.data)
        flash(_("Your notification choices are saved."))
        return redirect(url_for("notifications.preferences"))
    return render_form("notifications/preferences.html", form)


def _token_user(token):
    found = services.read_preference_token(token)
    user = db.session.get(User, found[0]) if found else None
    if user is None:
        return None, None
    return user, found[1]


def _scope_label(scope):
    if scope == kinds.REMINDERS:
        return _("Reminder emails before a session")
    if scope == kinds.DIGEST:
        return _("Daily digest email")
    return kinds.TOPICS[scope].label


@bp.get("/unsubscribe/<token>")
def unsubscribe(token):
    """The link in every email: one button turns these emails off, without signing in."""
    user, scope = _token_user(token)
    if user is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 404
    return render_template(
        "notifications/unsubscribe.html",
        invalid=False,
        token=token,
        label=_scope_label(scope),
        off=services.is_off(user, scope),
        done=False,
        form=ConfirmForm(),
    )


@bp.post("/unsubscribe/<token>")
def unsubscribe_confirm(token):
    user, scope = _token_user(token)
    if user is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 404
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.turn_off(user, scope)
    return render_template(
        "notifications/unsubscribe.html", invalid=False, token=token, label=_scope_label(scope), off=True, done=True
    )


@bp.post("/unsubscribe/<token>/one-click")
@csrf.exempt
def unsubscribe_one_click(token):
    """RFC 8058: the mail program posts "List-Unsubscribe=One-Click" here, without a cookie or a
    CSRF token. The signed token is the authority and does what a CSRF token does (a third party
    cannot make one); anything else is refused as a bad request, as a missing CSRF token is."""
    user, scope = _token_user(token)
    if user is None:
        abort(400)
    services.turn_off(user, scope)
    return "", 204
