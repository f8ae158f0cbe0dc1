"""HTTP pages for members: the room list, a room, the guidelines, notices."""

import uuid

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.clock import utcnow
from portal.extensions import db
from portal.main.dashboard import register_panel
from portal.rooms import (
    access,
    appeals,
    bp,
    broadcast,
    checkins,
    conversation,
    guidelines,
    presence,
    services,
    wordlists,
)
from portal.rooms.errors import RoomError
from portal.rooms.forms import AcceptGuidelinesForm, DismissForm, MessageForm
from portal.rooms.models import AppealKind, Notice, RestrictionKind
from portal.rooms.moderation import oldest_queued_at, queue_size
from portal.security import Permission, permission_required, safe_next
from portal.templating import FORM_ERRORS_STATUS, form_status, message_time


def _read_standing(slug):
    """The room and the person's standing there (suspension, ban, mute, guidelines, invitation)
    in one statement (`access.load_rules`, as for socket events), as a RoomRules that the checks
    that follow take instead of asking the database one question each (None for a too-long slug)."""
    return access.load_rules(current_user, slug) if len(slug) <= 64 else None


def load_room(slug, rules=None):
    """The room if the current user may read it: 404 for unknown rooms, 403 otherwise."""
    try:
        room = access.room_by_slug(slug if len(slug) <= 64 else None, rules)
        access.check_may_read(current_user, room, rules)
    except RoomError as error:
        abort(404 if error.code == "not_found" else 403, description=error.as_ack()["message"])
    return room


def _suspended_page(rules=None):
    suspension = access.active_suspension(current_user, rules=rules)
    if suspension is not None:
        appeal = appeals.appeal_for(AppealKind.SUSPENSION, suspension.id)
        return render_template("rooms/suspended.html", suspension=suspension, appeal=appeal), 403
    return None


def _banned_page(rules):
    """Opening a room one is banned from explains the ban, its reason and how to appeal."""
    if rules is None or rules.room is None or access.is_moderator(current_user):
        return None
    ban = rules.restrictions.get(RestrictionKind.BAN)
    if ban is None:
        return None
    appeal = appeals.appeal_for(AppealKind.BAN, ban.id)
    return render_template("rooms/banned.html", room=rules.room, ban=ban, appeal=appeal), 403


@bp.get("/")
@permission_required(Permission.CHAT)
def index():
    blocked = _suspended_page()
    if blocked:
        return blocked
    rooms = access.visible_rooms(current_user)
    unread = services.unread_counts(current_user, rooms)
    store = presence.store()
    online = {room.id: len(store.online_user_ids(room.slug)) for room in rooms}
    notices = _unread_notices()
    return render_template(
        "rooms/index.html",
        rooms=rooms,
        unread=unread,
        online=online,
        notices=notices,
        accepted=access.has_accepted_guidelines(current_user),
        checkins=checkins.threads_of(current_user),
    )


def _unread_notices():
    query = sa.select(Notice).filter_by(user_id=current_user.id, read_at=None).order_by(Notice.created_at)
    return db.session.scalars(query).all()


@bp.post("/notices/<int:notice_id>/read")
@permission_required(Permission.CHAT)
def notice_read(notice_id):
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.user_id != current_user.id:
        abort(404)
    if DismissForm().validate_on_submit():
        notice.read_at = notice.read_at or utcnow()
        db.session.commit()
    return redirect(url_for("rooms.index"))


@bp.get("/guidelines")
@permission_required(Permission.CHAT)
def guidelines_page():
    form = AcceptGuidelinesForm()
    return render_template(
        "rooms/guidelines.html",
        form=form,
        text=guidelines.as_html(),
        version=guidelines.VERSION,
        accepted=access.has_accepted_guidelines(current_user),
        next=safe_next(request.args.get("next"), "rooms.index"),
    )


@bp.post("/guidelines")
@permission_required(Permission.CHAT)
def accept_guidelines():
    form = AcceptGuidelinesForm()
    target = safe_next(request.args.get("next"), "rooms.index")
    if not form.validate_on_submit():
        return render_template(
            "rooms/guidelines.html",
            form=form,
            text=guidelines.as_html(),
            version=guidelines.VERSION,
            accepted=False,
            next=target,
        ), form_status(form)
    services.accept_guidelines(current_user)
    flash(_("Thank you. You can now post in the rooms."), "success")
    return redirect(target)


@bp.get("/<slug>")
@permission_required(Permission.CHAT)
def room(slug):
    rules = _read_standing(slug)
    blocked = _suspended_page(rules) or _banned_page(rules)
    if blocked:
        return blocked
    room = load_room(slug, rules)
    before = request.args.get("before", type=int)
    before_id = before if before and 0 < before < services.MAX_ID else None
    return _room_page(room, rules, before_id=before_id, reply_to=request.args.get("reply_to"))


def _replying_to(room, value):
    """The message the composer answers (`?reply_to=` without JavaScript), if it may be."""
    try:
        return conversation.reply_target(room, conversation.parse_id(value, required=False))
    except RoomError:
        return None


def _room_page(room, rules, form=None, error=None, support=False, before_id=None, status=200, reply_to=None):
    """The room: its latest messages (or those before `before_id`, for reading without
    JavaScript) and the composer, which is a plain form that rooms.js takes over."""
    # the messages with their replies, reactions and pins, and the reader's own posts still in
    # review (only the author sees them), in one statement (conversation.page)
    messages, has_more, convo, pins, held = conversation.page(room, current_user, before_id=before_id)
    if form is None:
        form = MessageForm(formdata=None)
    form.client_id.data = _usable_client_id(form.client_id.data)
    flagged = session.pop(SUPPORT_KEY) if SUPPORT_KEY in session else False  # no session write otherwise
    may_post = _may_post(room, rules)
    kept_for_crisis = any(crisis for _message, crisis in held)
    return render_template(
        "rooms/room.html",
        room=room,
        messages=messages,
        has_more=has_more,
        before_id=before_id,
        last_read_id=services.last_read_id(current_user, room),
        may_post=may_post,
        accepted=_accepted_guidelines(may_post, rules),
        names={m.id: services.public_name(m.author) for m in messages},
        badges={m.author_id: services.badge_of(m) for m in messages},
        is_moderator=access.is_moderator(current_user),
        max_body=services.MAX_BODY,
        form=form,
        error=error,
        support_alert=support or flagged,
        kept_for_crisis=kept_for_crisis,
        held=held,
        convo=convo,
        reactions=conversation.REACTIONS,
        reaction_labels={kind.value: str(label) for kind, label in conversation.REACTIONS.items()},
        pins=pins,
        pinned_ids={m.id for m in pins},
        replying=_replying_to(room, reply_to),
        mute=rules.restrictions.get(RestrictionKind.MUTE) if rules and rules.about(current_user, room) else None,
    ), status


def _usable_client_id(value):
    """The posted client_id when it is well formed (a resend after a refusal keeps it), else a new one."""
    try:
        return services.validate_client_id(value)
    except RoomError:
        return str(uuid.uuid4())


SUPPORT_KEY = "rooms_show_support"
# How a refused post answers: the text itself needs changing (422, as every form with field
# errors), this person may not post here now (403), or not yet (429, with Retry-After).
POST_ERROR_STATUS = {
    "empty": FORM_ERRORS_STATUS,
    "too_long": FORM_ERRORS_STATUS,
    "blocked": FORM_ERRORS_STATUS,
    "invalid": FORM_ERRORS_STATUS,
    "rate_limited": 429,
    "slow_mode": 429,
    "not_found": 404,
}


@bp.post("/<slug>/messages")
@permission_required(Permission.CHAT)
def post_message(slug):
    """The composer without JavaScript: the same service and broadcasts as a socket `send`,
    then back to the room (POST-redirect-GET). A refusal shows the room again with the text kept."""
    rules = _read_standing(slug)
    blocked = _suspended_page(rules)
    if blocked:
        return blocked
    room = load_room(slug, rules)
    form = MessageForm()
    user = current_user._get_current_object()
    body = form.body.data or ""
    client_id = form.client_id.data or str(uuid.uuid4())
    reply_to = request.form.get("reply_to")
    try:
        posted = conversation.post(user, room, body, client_id, rules, reply_to)
    except RoomError as error:
        support = error.code not in {"invalid", "unauthorized"} and wordlists.is_crisis(body)
        if support:  # as on_send: the resources reach the person even when the post is refused
            broadcast.support(user.id, wordlists.support_resources())
        status = POST_ERROR_STATUS.get(error.code, 403)
        response = _room_page(room, rules, form=form, error=error, support=support, status=status, reply_to=reply_to)
        if error.retry_after:
            response = (*response, {"Retry-After": str(error.retry_after)})
        return response
    if posted.created:
        broadcast.posted(posted, posted.payload)
        conversation.announce(posted)
    if posted.crisis:
        session[SUPPORT_KEY] = True
    if posted.held and posted.crisis:
        flash(services.crisis_note(), "info")
    elif posted.held:
        flash(RoomError("held_for_review").as_ack()["message"], "info")
    else:
        flash(_("Your message is posted."), "success")
    anchor = "composer" if posted.held else f"m-{posted.message.id}"
    return redirect(url_for(".room", slug=room.slug, _anchor=anchor))


def _may_post(room, rules):
    try:
        access.check_may_post(current_user, room, rules)
    except RoomError as error:
        return error.code
    return True


def _accepted_guidelines(may_post, rules):
    """Whether the current user accepted the guidelines, from the answer _may_post already gave
    when it tells (may post: they did; refused for the guidelines: they did not)."""
    if may_post is True:
        return True
    if may_post == "guidelines":
        return False
    return access.has_accepted_guidelines(current_user, rules)


@register_panel
def rooms_panel(user):
    if not user.is_authenticated or not user.can(Permission.CHAT) or not access.may_chat(user):
        return None
    rooms = access.visible_rooms(user)
    unread = services.unread_counts(user, rooms)
    links = []
    for room in rooms:
        count = unread.get(room.id, 0)
        label = _("%(name)s (%(count)s new)", name=room.name, count=count) if count else room.name
        links.append((label, url_for("rooms.room", slug=room.slug)))
    panel = {"title": _("Peer support rooms"), "links": links, "text": _("Talk with other families who understand.")}
    if any(unread.get(room.id, 0) for room in rooms):
        panel["priority"] = 30  # unread rooms: after sessions and assignments, before the rest
    if access.is_moderator(user):
        waiting = queue_size()
        links.insert(0, (_("Review queue (%(count)s)", count=waiting), url_for("rooms.console")))
        if waiting:
            oldest = oldest_queued_at()
            panel["priority"] = 5
            panel["text"] = ngettext(
                "%(num)d item waits for review, since %(when)s.",
                "%(num)d items wait for review; the oldest since %(when)s.",
                waiting,
                when=message_time(oldest) if oldest else "",
            )
    return panel
