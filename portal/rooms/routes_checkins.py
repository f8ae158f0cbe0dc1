"""Private check-ins from staff: start one from a message (or a queue item), read and answer.
Posting is a plain form (it works without JavaScript); each committed post is also sent live
to the thread's readers (`checkins.announce`), and the thread page's script asks for posts over
the socket (`checkin_events`)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.extensions import db
from portal.rooms import bp, checkin_events, checkins, moderation  # noqa: F401 - checkin_events: /chat handlers
from portal.rooms.errors import RoomError
from portal.rooms.forms import CheckInForm
from portal.rooms.models import Message
from portal.rooms.services import public_name
from portal.templating import render_form


def _thread_or_404(checkin_id):
    """The thread when this person may read it; another member's thread is a 404, not theirs
    to know about (`checkins.thread_for`)."""
    try:
        return checkins.thread_for(current_user, checkin_id)
    except RoomError:
        abort(404)


@bp.route("/console/checkins/new/<int:message_id>", methods=["GET", "POST"])
@login_required
def checkin_start(message_id):
    """A moderator or counselor writes privately to the author of a message."""
    if not checkins.may_start(current_user):
        abort(403)
    message = db.get_or_404(Message, message_id)  # <int:…> ids are within the table's range
    form = CheckInForm()
    if not form.is_submitted():
        form.body.data = _("Checking in — are you safe right now?")
    elif form.validate():
        try:
            thread, notice = checkins.start(current_user._get_current_object(), message.author, form.body.data, message)
        except RoomError as error:
            form.body.errors.append(error.as_ack()["message"])
        else:
            moderation.publish(moderation.Outcome("checkin", notice=notice))
            checkins.announce(thread, thread.posts[0])
            flash(_("Sent privately. The person was told."), "success")
            return redirect(url_for("rooms.checkin", checkin_id=thread.id))
    return render_form("rooms/checkin_new.html", form, message=message, public_name=public_name)


@bp.get("/checkins")
@login_required
def checkin_list():
    staff = checkins.may_start(current_user)
    threads = checkins.recent_threads() if staff else checkins.threads_of(current_user)
    return render_template("rooms/checkins.html", threads=threads, staff=staff, public_name=public_name)


@bp.route("/checkins/<int:checkin_id>", methods=["GET", "POST"])
@login_required
def checkin(checkin_id):
    thread = _thread_or_404(checkin_id)
    form = CheckInForm()
    if form.validate_on_submit():
        try:
            post = checkins.reply(current_user._get_current_object(), thread, form.body.data)
        except RoomError as error:
            form.body.errors.append(error.as_ack()["message"])
        else:
            checkins.announce(thread, post)
            flash(_("Sent."), "success")
            return redirect(url_for("rooms.checkin", checkin_id=thread.id, _anchor="reply"))
    return render_form("rooms/checkin.html", form, thread=thread, public_name=public_name)
