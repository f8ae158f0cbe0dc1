"""The conversation around messages (issue 12): replies, support reactions, @mentions, pins and
search. The same rules as a message: the room is read again (consent re-checked) on every
request and event, reactions spend the chat rate limit, text reaches pages only escaped (an
excerpt is plain text) or through `portal/sanitize.py` (the message bodies themselves).

The Message of the /chat contract is unchanged: what belongs to the conversation travels in
its own events (`message_context`, `reactions`, `pins`; docs/realtime.md).
"""

import re
from types import SimpleNamespace

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, joinedload, with_expression

from portal.auth.models import User
from portal.extensions import db
from portal.notifications.services import internal_path, notify
from portal.rooms import access, broadcast, presence, ratelimit, services
from portal.rooms.convo_models import Mention, Pin, Reaction, ReactionKind, Reply
from portal.rooms.errors import RoomError
from portal.rooms.models import Message, MessageStatus, ReadMarker, Room

EXCERPT_CHARS = 140
MAX_MENTIONS = 10
SEARCH_MAX_QUERY = 100
SEARCH_LIMIT = 50
SUGGEST_LIMIT = 8

#: The support reactions, in the order they are shown, with their text labels.
REACTIONS = {
    ReactionKind.SUPPORT: _l("Sending support"),
    ReactionKind.THANKS: _l("Thank you"),
    ReactionKind.ME_TOO: _l("Me too"),
}

signals = Namespace()
#: Sent after the commit of a visible message that names people with @ (`user_ids`,
#: `message_id`, `room`, `author_id`). The notices themselves are stored with the message
#: (`portal.notifications.notify`, kinds "mention" and "reply").
mentioned = signals.signal("rooms-mentioned")


# --- parsing ---------------------------------------------------------------------------------


def parse_id(value, required=True):
    """A message id from a payload or a form field (an int, or digits in a string)."""
    if value is None or value == "":
        if required:
            raise RoomError("invalid")
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < services.MAX_ID:
        raise RoomError("invalid")
    return value


def parse_kind(value):
    try:
        return ReactionKind(value) if isinstance(value, str) else None
    except ValueError:
        return None


def readable_message(user, message_id, rules=None, post=False):
    """A visible message in a room this person may read (and post in, with `post`), or RoomError:
    an unknown id, a held or removed message and a room they may not enter all answer
    `not_found`, so probing ids tells nothing about rooms they cannot see."""
    message = services.message_by_id(parse_id(message_id))
    if not message.is_visible:
        raise RoomError("not_found")
    check = access.check_may_post if post else access.check_may_read
    try:
        check(user, message.room, rules)
    except RoomError as error:
        raise RoomError("not_found" if error.code in ("not_member", "banned") else error.code) from None
    return message


# --- replies and mentions --------------------------------------------------------------------


def reply_target(room, reply_to_id):
    """The message a reply answers: a visible message of the same room, else `not_found`."""
    if reply_to_id is None:
        return None
    target = db.session.get(Message, reply_to_id)
    if target is None or target.room_id != room.id or not target.is_visible:
        raise RoomError("not_found")
    return target


def excerpt(message):
    """The start of a message as plain text (escaped wherever it is shown)."""
    return _excerpt_text(message.body)


def _excerpt_text(body):
    text = " ".join((body or "").split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def post(user, room, body, client_id, rules=None, reply_to=None):
    """A send with its conversation: checks the reply's target, stores the message, the reply and
    the mentions in one commit (services.post_message). Returns services.Posted with `.context`."""
    reply_to = parse_id(reply_to, required=False)
    target = None
    if reply_to is not None:
        access.check_may_read(user, room, rules)
        target = reply_target(room, reply_to)
    found = {}

    def extras(message):
        if target is not None:
            db.session.add(Reply(message_id=message.id, reply_to_id=target.id))
        for person in resolve_mentions(room, message.body, user):
            db.session.add(Mention(message_id=message.id, user_id=person.id))
            found[person.id] = services.public_name(person)
        if message.status == MessageStatus.VISIBLE:  # a held message tells no one before its release
            _notify(message, target, [p for p in found], user)

    posted = services.post_message(user, room, body, client_id, ratelimit.take, rules, extras=extras)
    posted.context = None
    if posted.created and (target is not None or found):
        posted.context = _message_context(room, posted.payload["id"], target, found)
    return posted


def _message_context(room, message_id, target, names):
    """What `message_context` tells the room of a message: the message it answers (target, or
    None) and the people it mentions (names: {user id: public name})."""
    return {
        "room": room.slug,
        "id": message_id,
        "reply_to": _reply_info(target) if target is not None else None,
        "mentions": [{"id": uid, "display_name": name} for uid, name in names.items()],
    }


def _notify(message, target, mentioned_ids, author):
    """Notices in the same commit as the message: each person mentioned, and the author of the
    message replied to (once, never oneself)."""
    url = internal_path("rooms.room", slug=message.room.slug) + f"#m-{message.id}"
    words = {"name": services.public_name(author), "room": message.room.name}
    told = {author.id}
    for user_id in mentioned_ids:
        if user_id not in told:
            told.add(user_id)
            notify(db.session.get(User, user_id), "mention", url=url, email=_offline(user_id), **words)
    if target is not None and target.author_id not in told:
        notify(target.author, "reply", url=url, email=_offline(target.author_id), **words)


def _offline(user_id):
    """No open socket anywhere (any process, through the presence store): only then may a
    mention or reply be emailed — someone in the rooms sees it live and needs no email."""
    return not presence.store().sids_of_user(user_id)


def announce(posted):
    """After the commit and the `message` broadcast: the reply and mentions to the room, and the
    `mentioned` signal for the people named (a held message waits for its release)."""
    if not posted.created or posted.held or posted.context is None:
        return
    announce_context(posted.context, posted.payload["author"]["id"])


def announce_context(context, author_id):
    """A message's reply and mentions to its room, and the `mentioned` signal (after the commit
    that made the message visible: a send, or a moderator's release)."""
    broadcast.message_context(context)
    user_ids = [m["id"] for m in context["mentions"]]
    if user_ids:
        mentioned.send(
            current_app._get_current_object(),
            user_ids=user_ids,
            message_id=context["id"],
            room=context["room"],
            author_id=author_id,
        )


def on_release(message):
    """A held message a moderator has just released (called in the releasing transaction, which
    only the first release of a message reaches: moderation.approve_message). The people it
    mentions who may still read the room, and the author it replies to, are told now — the
    first time anyone is. Returns the context to announce after the commit (or None)."""
    room = message.room
    named = db.session.scalars(
        sa.select(User).join(Mention, Mention.user_id == User.id).where(Mention.message_id == message.id)
    ).all()
    people = [p for p in named if p.active and _may_read(p, room)]
    target = db.session.scalar(
        sa.select(Message).join(Reply, Reply.reply_to_id == Message.id).where(Reply.message_id == message.id)
    )
    answered = target if target is not None and target.is_visible else None  # a removed one tells no one
    _notify(message, answered, [p.id for p in people], message.author)
    if target is None and not people:
        return None
    return _message_context(room, message.id, target, {p.id: services.public_name(p) for p in people})


def _mention_candidates(room):
    """People who are in this room now, have been (a read marker) or have written in it."""
    markers = sa.select(ReadMarker.user_id).where(ReadMarker.room_id == room.id)
    authors = sa.select(Message.author_id).where(Message.room_id == room.id)
    online = list(presence.store().online_user_ids(room.slug))
    return db.session.scalars(
        sa.select(User).where(
            sa.or_(User.id.in_(markers), User.id.in_(authors), User.id.in_(online)), User.active.is_(True)
        )
    ).all()


def _may_read(person, room):
    try:
        access.check_may_read(person, room)
    except RoomError:
        return False
    return True


def resolve_mentions(room, body, author):
    """The people named `@<exact display name>` in body who may read the room (not the author)."""
    if "@" not in (body or ""):
        return []
    found = []
    for person in _mention_candidates(room):
        name = person.display_name
        if person.id == author.id or not name or services.public_name(person) != name:
            continue
        if re.search(r"(?<![\w@])@" + re.escape(name) + r"(?!\w)", body) and _may_read(person, room):
            found.append(person)
            if len(found) >= MAX_MENTIONS:
                break
    return found


def suggest_members(user, room, prefix):
    """Display names of people in the room starting with prefix (autocomplete), at most 8."""
    prefix = (prefix or "").strip().casefold()
    if len(prefix) > 64:
        return []
    names = set()
    for person in _mention_candidates(room):
        name = services.public_name(person)
        wanted = person.id != user.id and name == person.display_name and name.casefold().startswith(prefix)
        if wanted and _may_read(person, room):
            names.add(name)
        if len(names) >= SUGGEST_LIMIT:
            break
    return sorted(names, key=str.casefold)


# --- what the page and the client show with messages -----------------------------------------


def _reply_info(target, words=None):
    if target is None or not target.is_visible:
        return {"id": target.id if target is not None else None, "removed": True}
    return {
        "id": target.id,
        "author": services.public_name(target.author, words),
        "excerpt": excerpt(target),
        "removed": False,
    }


def counts_for(message_ids):
    """{message id: {kind: count}} for the given messages."""
    if not message_ids:
        return {}
    rows = db.session.execute(
        sa.select(Reaction.message_id, Reaction.kind, sa.func.count(Reaction.id))
        .where(Reaction.message_id.in_(message_ids))
        .group_by(Reaction.message_id, Reaction.kind)
    ).all()
    out = {}
    for message_id, kind, count in rows:
        out.setdefault(message_id, {})[kind] = count
    return out


def _context_columns(viewer):
    """Scalar subqueries that give each message row its conversation, so a page of messages and
    everything around them (reply, reactions, mentions, pin) is one statement."""
    target = aliased(Message)
    target_author = aliased(User)
    reply_to = sa.select(Reply.reply_to_id).where(Reply.message_id == Message.id).scalar_subquery()
    visible_target = sa.select(target.id).where(
        target.id == reply_to, target.status == MessageStatus.VISIBLE, target.removed_at.is_(None)
    )
    columns = [
        reply_to.label("reply_to_id"),
        sa.select(target.body).where(target.id.in_(visible_target)).scalar_subquery().label("reply_body"),
        sa.select(target_author.id)
        .join(target, target.author_id == target_author.id)
        .where(target.id.in_(visible_target))
        .scalar_subquery()
        .label("reply_author_id"),
        sa.select(target_author.display_name)
        .join(target, target.author_id == target_author.id)
        .where(target.id.in_(visible_target))
        .scalar_subquery()
        .label("reply_author_name"),
        sa.exists().where(Mention.message_id == Message.id, Mention.user_id == viewer.id).label("mentions_me"),
        sa.select(Pin.id).where(Pin.message_id == Message.id).scalar_subquery().label("pin_id"),
    ]
    for kind in REACTIONS:
        columns.append(
            sa.select(sa.func.count(Reaction.id))
            .where(Reaction.message_id == Message.id, Reaction.kind == kind.value)
            .scalar_subquery()
            .label(f"count_{kind.value}")
        )
        columns.append(
            sa.exists()
            .where(Reaction.message_id == Message.id, Reaction.kind == kind.value, Reaction.user_id == viewer.id)
            .label(f"mine_{kind.value}")
        )
    return columns


def _context_of(row, words):
    reply = None
    if row.reply_to_id is not None:
        if row.reply_body is None:
            reply = {"id": row.reply_to_id, "removed": True}
        else:
            author = SimpleNamespace(id=row.reply_author_id, display_name=row.reply_author_name)
            reply = {
                "id": row.reply_to_id,
                "author": services.public_name(author, words),
                "excerpt": _excerpt_text(row.reply_body),
                "removed": False,
            }
    return {
        "id": row.Message.id,
        "reply_to": reply,
        "reactions": {k.value: getattr(row, f"count_{k.value}") for k in REACTIONS if getattr(row, f"count_{k.value}")},
        "mine": sorted(k.value for k in REACTIONS if getattr(row, f"mine_{k.value}")),
        "mentions_me": bool(row.mentions_me),
    }


def _visible_in(room):
    return (Message.room_id == room.id, Message.status == MessageStatus.VISIBLE, Message.removed_at.is_(None))


def page(room, viewer, before_id=None, limit=services.JOIN_LATEST):
    """The room page in one statement: (the newest `limit` visible messages [before before_id],
    oldest first; has_more; {id: conversation}; the pinned messages, newest pin first; the
    viewer's own posts still in review, as (message, crisis), oldest first — on the latest page)."""
    window = sa.select(Message.id).where(*_visible_in(room))
    if before_id is not None:
        window = window.where(Message.id < before_id)
    window = window.order_by(Message.id.desc()).limit(limit + 1)
    pinned = sa.select(Pin.message_id).where(Pin.room_id == room.id)
    wanted = sa.and_(*_visible_in(room), sa.or_(Message.id.in_(window), Message.id.in_(pinned)))
    if before_id is None:
        wanted = sa.or_(wanted, Message.id.in_(services.held_window(viewer, room)))
    statement = (
        sa.select(
            Message, *_context_columns(viewer), Message.id.in_(window).label("in_window"), services.kept_for_crisis()
        )
        .where(wanted)
        .options(
            joinedload(Message.author).lazyload(User.role_rows),
            with_expression(Message.author_staff_role, services._staff_role_of_author()),
        )
        .order_by(Message.id.desc())
    )
    rows = db.session.execute(statement).unique().all()
    held = [(row.Message, bool(row.crisis)) for row in reversed(rows) if not row.Message.is_visible]
    rows = [row for row in rows if row.Message.is_visible]
    words = services.watched_words()
    in_window = [row for row in rows if row.in_window]
    shown = in_window[:limit]
    convo = {row.Message.id: _context_of(row, words) for row in shown}
    pins = [row.Message for row in sorted((r for r in rows if r.pin_id is not None), key=lambda r: -r.pin_id)]
    return [row.Message for row in reversed(shown)], len(in_window) > limit, convo, pins, held


def context(messages, viewer):
    """{message id: conversation} for the given messages (one statement)."""
    ids = [m.id for m in messages]
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Message.id, *_context_columns(viewer)).where(Message.id.in_(ids))).all()
    words = services.watched_words()
    return {row.id: _context_of(_Row(row), words) for row in rows}


class _Row:
    """A context row without the Message entity (for `context`)."""

    def __init__(self, row):
        self._row = row
        self.Message = SimpleNamespace(id=row.id)

    def __getattr__(self, name):
        return getattr(self._row, name)


def context_for_ids(user, room, ids, rules=None):
    """The `context` event: the conversation of visible messages of one readable room."""
    access.check_may_read(user, room, rules)
    if not isinstance(ids, list) or not 0 < len(ids) <= services.CATCH_UP_MAX:
        raise RoomError("invalid")
    wanted = {parse_id(i) for i in ids}
    messages = db.session.scalars(
        sa.select(Message).where(
            Message.id.in_(wanted),
            Message.room_id == room.id,
            Message.status == MessageStatus.VISIBLE,
            Message.removed_at.is_(None),
        )
    ).all()
    return list(context(messages, user).values())


# --- reactions -------------------------------------------------------------------------------


def toggle_reaction(user, message_id, kind, rules=None):
    """Add or take back one's support reaction; commits. The same checks as a send: the room is
    read again (consent), the person may post there, and the chat rate limit is spent.
    Returns (message, counts, mine)."""
    chosen = parse_kind(kind)
    if chosen is None:
        raise RoomError("invalid")
    message = readable_message(user, message_id, rules, post=True)
    wait = ratelimit.take(user.id)
    if wait:
        raise RoomError("rate_limited", retry_after=wait)
    existing = db.session.scalar(sa.select(Reaction).filter_by(message_id=message.id, user_id=user.id, kind=chosen))
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(Reaction(message_id=message.id, user_id=user.id, kind=chosen.value))
            db.session.commit()
        except sa.exc.IntegrityError:  # the same toggle raced in from another tab
            db.session.rollback()
    counts = counts_for([message.id]).get(message.id, {})
    mine = sorted(db.session.scalars(sa.select(Reaction.kind).filter_by(message_id=message.id, user_id=user.id)).all())
    return message, counts, mine


def announce_reactions(message, counts):
    broadcast.reactions({"room": message.room.slug, "id": message.id, "counts": counts})


# --- pins --------------------------------------------------------------------------------------


def pins(room):
    """The room's pinned messages that are still visible, newest pin first."""
    query = (
        sa.select(Message)
        .join(Pin, Pin.message_id == Message.id)
        .where(Pin.room_id == room.id, Message.status == MessageStatus.VISIBLE, Message.removed_at.is_(None))
        .order_by(Pin.created_at.desc(), Pin.id.desc())
    )
    return db.session.scalars(query).unique().all()


def pins_payload(room):
    words = services.watched_words()
    return [{"id": m.id, "author": services.public_name(m.author, words), "excerpt": excerpt(m)} for m in pins(room)]


def set_pinned(moderator, message_id, pinned):
    """Pin or unpin a visible message; moderators only (`unauthorized` for anyone else). Commits."""
    if not access.is_moderator(moderator):
        raise RoomError("unauthorized")
    message = readable_message(moderator, message_id)
    existing = db.session.scalar(sa.select(Pin).filter_by(message_id=message.id))
    if pinned and existing is None:
        db.session.add(Pin(room_id=message.room_id, message_id=message.id, pinned_by_id=moderator.id))
    elif not pinned and existing is not None:
        db.session.delete(existing)
    db.session.commit()
    broadcast.pins({"room": message.room.slug, "pins": pins_payload(message.room)})
    return message


# --- search ------------------------------------------------------------------------------------


def search(user, query, limit=SEARCH_LIMIT):
    """Visible messages in the rooms this person may read that contain `query` (case-insensitive),
    newest first. Never held, hidden or deleted messages; never a room they are banned from."""
    query = " ".join((query or "").split())
    if not query or len(query) > SEARCH_MAX_QUERY:
        return []
    rooms = [room for room in access.visible_rooms(user) if _may_read(user, room)]
    if not rooms:
        return []
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    statement = (
        sa.select(Message)
        .where(
            Message.room_id.in_([r.id for r in rooms]),
            Message.status == MessageStatus.VISIBLE,
            Message.removed_at.is_(None),
            Message.body.ilike(pattern, escape="\\"),
        )
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return db.session.scalars(statement).unique().all()


def room_named(slug):
    return db.session.scalar(sa.select(Room).filter_by(slug=slug))
