"""The moderation console: the live review queue, watched words and room settings."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.auth.models import User
from portal.auth.services import find_user_by_email
from portal.care.models import Program
from portal.extensions import db
from portal.rooms import bp, broadcast, moderation, settings, standing
from portal.rooms.errors import RoomError
from portal.rooms.forms import (
    DismissForm,
    InviteForm,
    ModerateForm,
    NewRoomForm,
    PersonForm,
    RoomSettingsForm,
    WatchedWordForm,
)
from portal.rooms.models import Flag, Message, RestrictionKind, Room, Suspension, WatchedWord
from portal.rooms.services import public_name
from portal.security import Permission, permission_required, safe_next
from portal.templating import choice_label, render_form

moderator_only = permission_required(Permission.MODERATE)


@bp.get("/console")
@moderator_only
def console():
    flags, held = moderation.review_queue()
    suspensions = db.session.scalars(sa.select(Suspension).filter_by(lifted_at=None)).all()
    return render_template(
        "rooms/console.html",
        flags=flags,
        held=held,
        form=ModerateForm(formdata=None),
        dismiss=DismissForm(),
        person_form=PersonForm(formdata=None),
        actions=moderation.recent_actions(20),
        suspensions=[s for s in suspensions if s.is_active()],
        users={
            u.id: u
            for u in db.session.scalars(sa.select(User).where(User.id.in_({s.user_id for s in suspensions}))).all()
        },
        public_name=public_name,
        may_suspend=lambda user: moderation.may_suspend(current_user, user),
    )


@bp.post("/console/messages/<int:message_id>")
@moderator_only
def moderate_message(message_id):
    message = db.get_or_404(Message, message_id)
    form = ModerateForm()
    back = redirect(safe_next(request.form.get("next"), "rooms.console"))  # the room, from its message menu
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return back
    try:
        outcome = _apply(form, message)
    except RoomError as error:
        flash(error.as_ack()["message"], "error")
        return back
    moderation.publish(outcome)
    flash(_("Done: %(action)s.", action=choice_label(form.action)), "success")
    return back


def _apply(form, message):
    moderator, reason, author = current_user._get_current_object(), form.reason.data, message.author
    match form.action.data:
        case "hide":
            return moderation.hide_message(moderator, message, reason)
        case "approve":
            return moderation.approve_message(moderator, message)
        case "dismiss":
            return moderation.dismiss_message_flags(moderator, message)
        case "warn":
            return moderation.warn_user(moderator, author, reason, room=message.room)
        case "mute" | "ban":
            return moderation.restrict_user(
                moderator, author, message.room, RestrictionKind(form.action.data), reason, minutes=form.minutes.data
            )
        case "suspend":
            return moderation.suspend_user(moderator, author, reason)
    raise RoomError("invalid")


@bp.post("/console/people/<int:user_id>")
@moderator_only
def moderate_person(user_id):
    """Warn or suspend a person directly (e.g. for a display name in the queue)."""
    person = db.get_or_404(User, user_id)
    form = PersonForm()
    if not form.validate_on_submit():
        flash(_("Please choose an action and give a reason: the person will be told."), "error")
        return redirect(url_for("rooms.console"))
    moderator = current_user._get_current_object()
    try:
        if form.action.data == "suspend":
            outcome = moderation.suspend_user(moderator, person, form.reason.data)
        else:
            outcome = moderation.warn_user(moderator, person, form.reason.data)
    except RoomError as error:
        flash(error.as_ack()["message"], "error")
        return redirect(url_for("rooms.console"))
    moderation.publish(outcome)
    flash(_("Done."), "success")
    return redirect(url_for("rooms.console"))


@bp.post("/console/flags/<int:flag_id>/dismiss")
@moderator_only
def dismiss_flag(flag_id):
    flag = db.get_or_404(Flag, flag_id)
    if DismissForm().validate_on_submit() and flag.resolved_at is None:
        moderation.dismiss_flag(current_user._get_current_object(), flag)
        flash(_("The item was dismissed."), "success")
    return redirect(url_for("rooms.console"))


@bp.post("/console/suspensions/<int:user_id>/lift")
@moderator_only
def lift_suspension(user_id):
    user = db.get_or_404(User, user_id)
    if DismissForm().validate_on_submit():
        try:
            moderation.publish(moderation.lift_suspension(current_user._get_current_object(), user))
        except RoomError as error:
            flash(error.as_ack()["message"], "error")
            return redirect(url_for("rooms.console"))
        flash(_("The suspension was lifted."), "success")
    return redirect(url_for("rooms.console"))


@bp.route("/console/words", methods=["GET", "POST"])
@moderator_only
def words():
    form = WatchedWordForm()
    if form.validate_on_submit():
        try:
            settings.add_watched_word(current_user._get_current_object(), form.phrase.data, form.action.data)
        except RoomError:
            form.phrase.errors.append(_("Please enter a word or phrase."))
        else:
            flash(_("Saved “%(phrase)s”.", phrase=form.phrase.data), "success")
            return redirect(url_for("rooms.words"))
    return render_form("rooms/words.html", form, words=settings.watched_words(), remove=DismissForm())


@bp.post("/console/words/<int:word_id>/delete")
@moderator_only
def remove_word(word_id):
    word = db.get_or_404(WatchedWord, word_id)
    if DismissForm().validate_on_submit():
        settings.remove_watched_word(current_user._get_current_object(), word)
        flash(_("Removed."), "success")
    return redirect(url_for("rooms.words"))


@bp.route("/console/rooms", methods=["GET", "POST"])
@moderator_only
def room_list():
    form = NewRoomForm()
    programs = db.session.scalars(sa.select(Program).order_by(Program.name)).all()
    form.program_id.choices = [SelectChoice(0, _("(none)"))] + [SelectChoice(p.id, p.name) for p in programs]
    if form.validate_on_submit():
        try:
            room = settings.create_room(
                current_user._get_current_object(),
                form.slug.data,
                form.name.data,
                form.description.data,
                form.kind.data,
                form.program_id.data or None,
            )
        except RoomError:
            form.slug.errors.append(_("That address is taken, or a program room needs a program."))
        else:
            flash(_("Room “%(name)s” created.", name=room.name), "success")
            return redirect(url_for("rooms.room_settings", slug=room.slug))
    return render_form("rooms/room_list.html", form, rooms=settings.all_rooms())


@bp.route("/console/rooms/<slug>", methods=["GET", "POST"])
@moderator_only
def room_settings(slug):
    room = db.session.scalar(sa.select(Room).filter_by(slug=slug[:64])) or abort(404)
    form = RoomSettingsForm(obj=room)
    if form.validate_on_submit():
        settings.update_room(
            current_user._get_current_object(),
            room,
            form.name.data,
            form.description.data,
            form.locked.data,
            form.slow_mode_seconds.data,
            form.archived.data,
        )
        broadcast.room_updated(room)
        if room.archived:
            standing.recheck_room(room.slug)  # only moderators may read an archived room
        flash(_("Settings saved."), "success")
        return redirect(url_for("rooms.room_settings", slug=room.slug))
    return render_form("rooms/room_settings.html", form, room=room, invite=InviteForm(formdata=None))


@bp.post("/console/rooms/<slug>/invite")
@moderator_only
def invite(slug):
    room = db.session.scalar(sa.select(Room).filter_by(slug=slug[:64])) or abort(404)
    form = InviteForm()
    if form.validate_on_submit():
        # One answer whether or not the address has an account: the form must not tell who
        # uses the portal (docs/privacy.md).
        try:
            settings.invite(current_user._get_current_object(), room, find_user_by_email(form.email.data))
        except RoomError:
            flash(_("Only invite-only rooms take invitations."), "error")
        else:
            flash(_("If an account uses that email address, its owner can now join this room."), "success")
    return redirect(url_for("rooms.room_settings", slug=room.slug))
