"""HTTP side of the conversation (issue 12): support reactions and pins without JavaScript,
search across the rooms a person may read, and names for @mention autocomplete."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.rooms import access, bp, conversation, convo_events, moderation, services  # noqa: F401 - convo_events
from portal.rooms.errors import RoomError
from portal.rooms.forms import ModerateForm
from portal.rooms.routes import _read_standing, _suspended_page, load_room
from portal.security import Permission, permission_required


def _refused(error):
    """Unknown or unreadable messages are 404 (as for socket events); a refusal to react (muted,
    guidelines, rate limited...) goes back to the room with the reason."""
    if error.code == "not_found":
        abort(404)
    if error.code == "invalid":
        abort(400)
    flash(error.as_ack()["message"], "error")


def _back_to(message_or_room, anchor=None):
    room = getattr(message_or_room, "room", message_or_room)
    return redirect(url_for("rooms.room", slug=room.slug, _anchor=anchor))


@bp.get("/<slug>/messages/<int:message_id>")
@permission_required(Permission.CHAT)
def message_page(slug, message_id):
    """One message with its support reactions as plain forms (and pinning, for moderators):
    reacting without JavaScript."""
    rules = _read_standing(slug)
    blocked = _suspended_page(rules)
    if blocked:
        return blocked
    room = load_room(slug, rules)
    try:
        message = conversation.readable_message(current_user, message_id)
    except RoomError as error:
        abort(404 if error.code == "not_found" else 403)
    if message.room_id != room.id:
        abort(404)
    is_moderator = access.is_moderator(current_user)
    return render_template(
        "rooms/message.html",
        room=room,
        message=message,
        name=services.public_name(message.author),
        context=conversation.context([message], current_user)[message.id],
        reactions=conversation.REACTIONS,
        is_moderator=is_moderator,
        pinned=message.id in {m.id for m in conversation.pins(room)},
        **(_moderator_tools(message) if is_moderator else {}),
    )


def _moderator_tools(message):
    """Moderation that fits in the room: the message's page (its menu's link) offers hide, mute,
    ban (and, for whom they may, suspend) with a way back to the room, and the author's history."""
    history, actions = moderation.author_history(message.author)
    return {
        "form": ModerateForm(formdata=None),
        "may_suspend": lambda user: moderation.may_suspend(current_user, user),
        "history": history,
        "history_actions": actions,
    }


@bp.post("/<slug>/messages/<int:message_id>/reactions")
@permission_required(Permission.CHAT)
def react(slug, message_id):
    """Toggle a support reaction (the no-JavaScript way; the client uses the `react` event)."""
    rules = _read_standing(slug)
    blocked = _suspended_page(rules)
    if blocked:
        return blocked
    room = load_room(slug, rules)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        message = conversation.readable_message(current_user, message_id)
        if message.room_id != room.id:
            raise RoomError("not_found")
        message, counts, _mine = conversation.toggle_reaction(current_user, message.id, request.form.get("kind"))
    except RoomError as error:
        _refused(error)
        return _back_to(room, f"m-{message_id}")
    conversation.announce_reactions(message, counts)
    return _back_to(message, f"m-{message.id}")


@bp.post("/<slug>/messages/<int:message_id>/pin")
@permission_required(Permission.CHAT)
def pin(slug, message_id):
    return _set_pinned(slug, message_id, True)


@bp.post("/<slug>/messages/<int:message_id>/unpin")
@permission_required(Permission.CHAT)
def unpin(slug, message_id):
    return _set_pinned(slug, message_id, False)


def _set_pinned(slug, message_id, pinned):
    """Moderators only: a family member gets 403, a message of another room 404."""
    room = load_room(slug, _read_standing(slug))
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        message = conversation.readable_message(current_user, message_id)
        if message.room_id != room.id:
            raise RoomError("not_found")
        conversation.set_pinned(current_user, message.id, pinned)
    except RoomError as error:
        abort(404 if error.code == "not_found" else 403 if error.code == "unauthorized" else 400)
    flash(_("The message is pinned to the top of the room.") if pinned else _("The message is unpinned."), "success")
    return _back_to(room, "pins" if pinned else f"m-{message.id}")


@bp.get("/search")
@permission_required(Permission.CHAT)
def search():
    blocked = _suspended_page()
    if blocked:
        return blocked
    query = request.args.get("q", "")
    too_long = len(query) > conversation.SEARCH_MAX_QUERY
    results = [] if too_long else conversation.search(current_user, query)
    return render_template(
        "rooms/search.html",
        query=query[: conversation.SEARCH_MAX_QUERY],
        results=results,
        too_long=too_long,
        excerpt=conversation.excerpt,
    ), (422 if too_long else 200)


@bp.get("/<slug>/members")
@permission_required(Permission.CHAT)
def members(slug):
    """Display names for @mention autocomplete: people in this room the asker may read with."""
    room = load_room(slug, _read_standing(slug))
    names = conversation.suggest_members(current_user, room, request.args.get("q", ""))
    return jsonify({"names": names})
