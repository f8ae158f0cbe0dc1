"""Room rules for members: reading, posting, editing, flagging, read markers, guidelines."""

import uuid
from datetime import UTC

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _

from portal.auth.models import User, UserRole
from portal.auth.names import register_name_check
from portal.clock import utcnow
from portal.extensions import db
from portal.rooms import access, guidelines, wordlists
from portal.rooms import crisis as crisis_alerts
from portal.rooms.errors import RoomError
from portal.rooms.models import (
    CrisisAlert,
    Flag,
    FlagKind,
    GuidelinesAcceptance,
    Message,
    MessageStatus,
    ReadMarker,
    Room,
    WatchedAction,
    WatchedWord,
)
from portal.sanitize import chat_to_html
from portal.security import Role

MAX_BODY = 2000
PREMODERATED_MESSAGES = access.PREMODERATION_COUNT
JOIN_LATEST = 50
CATCH_UP_MAX = 200
HISTORY_MAX = 100
MAX_ID = 2**53  # ids beyond what JSON clients can count are malformed


# --- payloads ---------------------------------------------------------------------------------


def watched_words():
    """The watched words, loaded once per request or socket event."""
    if "rooms_watched_words" not in g:
        g.rooms_watched_words = db.session.scalars(sa.select(WatchedWord)).all()
    return g.rooms_watched_words


def public_name(user, words=None):
    """The name shown in rooms: the display name, unless it matches a blocked watched word."""
    return shown_name(user.id, user.display_name, words)


def shown_name(user_id, display_name, words=None):
    """public_name from the id and display name alone (read as plain columns, no User row)."""
    words = watched_words() if words is None else words
    blocked = [w for w in words if w.action == WatchedAction.BLOCK]
    if blocked and wordlists.watched_matches(display_name, blocked):
        return _("Member %(number)s", number=user_id)
    return display_name


def online_names(user_ids):
    """The public names of these people, sorted, from one statement of plain (id, display name)
    columns: a room's online list is read on every join, and with hundreds online the User rows
    (and their roles, which the list does not show) cost far more than the two columns."""
    if not user_ids:
        return []
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(user_ids))).all()
    words = watched_words()
    return sorted({shown_name(user_id, name, words) for user_id, name in rows}, key=str.casefold)


@register_name_check
def watched_name_problem(name):
    """The account page refuses a new display name with a watched word (any action) and says
    why, instead of letting it be shown as "Member N" in the rooms."""
    if wordlists.watched_matches(name, watched_words()):
        return _(
            "This name contains a word the moderators keep out of the rooms. Please choose another "
            "name; others would not see this one."
        )
    return None


def review_display_name(user):
    """Queue a display name that matches a hold/flag watched word (once); True when queued."""
    review = [w for w in watched_words() if w.action in (WatchedAction.HOLD, WatchedAction.FLAG)]
    if not review or not wordlists.watched_matches(user.display_name, review):
        return False
    open_flag = db.session.scalar(
        sa.select(Flag.id).filter_by(kind=FlagKind.NAME, subject_user_id=user.id, resolved_at=None)
    )
    if open_flag is not None:
        return False
    db.session.add(Flag(kind=FlagKind.NAME.value, subject_user_id=user.id, reason="display name"))
    db.session.commit()
    return True


# The badge shown next to a staff member's name: from their role, never from their name
# (names may not claim one, auth.names). The highest role shows.
BADGE_ORDER = (Role.ADMIN, Role.COUNSELOR, Role.MODERATOR)


def badge_labels():
    return {
        Role.ADMIN: _("Staff: administrator"),
        Role.COUNSELOR: _("Staff: counselor"),
        Role.MODERATOR: _("Staff: moderator"),
    }


def _badge_for_roles(roles):
    role = next((r for r in BADGE_ORDER if r in roles), None)
    return None if role is None else {"role": role.value, "label": badge_labels()[role]}


def author_badge(user):
    """{"role", "label"} for a staff member, None for everyone else."""
    return _badge_for_roles(user.roles)


def _badge_for_staff_role(role):
    """The badge of a `_staff_role_of_author` value ("" for none)."""
    return _badge_for_roles({Role(role)} if role else set())


def _staff_role_of_author():
    """The author's highest staff role as a correlated subquery; the role names sort as
    BADGE_ORDER does (admin < counselor < moderator), so min() picks the highest."""
    return sa.func.coalesce(
        sa.select(sa.func.min(UserRole.role))
        .where(UserRole.user_id == Message.author_id, UserRole.role.in_([r.value for r in BADGE_ORDER]))
        .correlate(Message)
        .scalar_subquery(),
        "",
    )


def badge_of(message):
    """The author's badge, from the role loaded with the message (no extra statement), or
    from the author's roles when the message came from elsewhere."""
    role = message.author_staff_role
    if role is None:
        return author_badge(message.author)
    return _badge_for_staff_role(role)


def iso_z(moment):
    """A UTC time as clients read it everywhere in the protocol: ISO 8601 ending in "Z"."""
    return moment.isoformat().replace("+00:00", "Z")


def message_payload(message, words=None):
    """A Message as the contract (docs/architecture.md) describes it, plus `edited_at` and
    `author_badge` (None, or the staff role badge {"role", "label"})."""
    return _payload(message, message.room.slug, public_name(message.author, words), badge_of(message))


def _payload(message, slug, name, badge):
    """message_payload's dict from a Message or a plain row with the same column names."""
    return {
        "id": message.id,
        "room": slug,
        "author": {"id": message.author_id, "display_name": name},
        "body_html": str(message.body_html),
        "created_at": iso_z(message.created_at),
        "client_id": message.client_id,
        "edited_at": iso_z(message.edited_at) if message.edited_at else None,
        "author_badge": badge,
    }


# --- reading ----------------------------------------------------------------------------------


def _visible_rows(room):
    """The room's visible messages as plain rows: only the columns a payload shows, with the
    author's display name and staff role. No ORM objects are built, so a join (hundreds at once after a
    restart) pays for 50 small tuples, not 50 messages and their authors. The rows are read
    afresh on every join: what may be shown (hidden, held, removed) is always the database's
    answer of this moment, never a copy kept from before."""
    return (
        sa.select(
            Message.id,
            Message.author_id,
            Message.client_id,
            Message.body_html,
            Message.created_at,
            Message.edited_at,
            User.display_name,
            _staff_role_of_author().label("staff_role"),
        )
        .join(User, User.id == Message.author_id)
        .where(Message.room_id == room.id, Message.status == MessageStatus.VISIBLE, Message.removed_at.is_(None))
    )


def row_payloads(room, rows):
    """Payloads of _visible_rows rows; each author's name and badge worked out once."""
    words, people = watched_words(), {}
    out = []
    for row in rows:
        if row.author_id not in people:
            badge = _badge_for_staff_role(row.staff_role)
            people[row.author_id] = (shown_name(row.author_id, row.display_name, words), badge)
        out.append(_payload(row, room.slug, *people[row.author_id]))
    return out


def messages_after(room, after_id, limit=CATCH_UP_MAX):
    """(payloads of the messages with id > after_id, oldest first, has_more)."""
    query = _visible_rows(room).where(Message.id > after_id).order_by(Message.id)
    rows = db.session.execute(query.limit(limit + 1)).all()
    return row_payloads(room, rows[:limit]), len(rows) > limit


def latest_messages(room, limit=JOIN_LATEST, before_id=None):
    """(payloads of the newest `limit` messages [before before_id], oldest first, has_more)."""
    query = _visible_rows(room)
    if before_id is not None:
        query = query.where(Message.id < before_id)
    rows = db.session.execute(query.order_by(Message.id.desc()).limit(limit + 1)).all()
    return row_payloads(room, list(reversed(rows[:limit]))), len(rows) > limit


def missed_messages(slug, after_id, since):
    """Payloads of the visible messages of a room posted after after_id or created since `since`,
    oldest first: what a process's sockets may have missed while the message queue was away."""
    room = db.session.scalar(sa.select(Room).filter_by(slug=slug))
    if room is None:
        return []
    newer = Message.created_at >= since
    if after_id is not None:
        newer = sa.or_(Message.id > after_id, newer)
    return row_payloads(room, db.session.execute(_visible_rows(room).where(newer).order_by(Message.id)).all())


HELD_SHOWN = 20  # the author's own held posts shown back to them (the newest)


def held_window(user, room):
    """The ids of the person's own posts in this room still waiting for review (the newest
    HELD_SHOWN): the author keeps seeing them — after a reload, on another device, in a `join` —
    and nobody else does (`_visible_rows`)."""
    return (
        sa.select(Message.id)
        .where(
            Message.room_id == room.id,
            Message.author_id == user.id,
            Message.status == MessageStatus.HELD,
            Message.removed_at.is_(None),
        )
        .order_by(Message.id.desc())
        .limit(HELD_SHOWN)
    )


def kept_for_crisis():
    """Whether staff keep the message for a crisis (it raised a crisis alert), as a column."""
    return sa.exists().where(CrisisAlert.message_id == Message.id).label("crisis")


def held_for_author(user, room):
    """The person's own held posts in this room, oldest first, each as (message, crisis)."""
    rows = db.session.execute(
        sa.select(Message, kept_for_crisis()).where(Message.id.in_(held_window(user, room))).order_by(Message.id)
    ).all()
    return [(message, bool(crisis)) for message, crisis in rows]


def join_messages(room, after_id):
    """(payloads for a join, has_more): the latest JOIN_LATEST, or (a catch-up) what came after
    after_id."""
    if after_id is None:
        return latest_messages(room)
    return messages_after(room, after_id)


def last_read_id(user, room):
    marker = db.session.get(ReadMarker, (user.id, room.id))
    return marker.last_read_id if marker else 0


def _newest_id(room):
    return db.session.scalar(sa.select(sa.func.max(Message.id)).where(Message.room_id == room.id)) or 0


def mark_read(user, room, message_id, newest=None):
    """Move the read marker forward (never back), committing only when it moves; safe when tabs
    race. Returns the marker as it now stands.

    `newest`: the caller read the room's messages itself (a join), so `message_id` is known to
    exist; otherwise it comes from the client and is capped at the room's newest id — asked only
    when the marker would move, so a reconnect that has seen nothing new reads the marker alone."""
    key = {"user_id": user.id, "room_id": room.id}
    marker = db.session.get(ReadMarker, (user.id, room.id))
    current = marker.last_read_id if marker else 0
    message_id = message_id or 0
    if message_id > current:
        message_id = min(message_id, _newest_id(room) if newest is None else newest)
    if message_id <= current:
        return current  # nothing new: no write
    if marker is None:
        try:
            with db.session.begin_nested():
                db.session.add(ReadMarker(**key, last_read_id=0))
        except sa.exc.IntegrityError:
            pass  # another socket of the same person created it a moment ago
    db.session.execute(
        sa.update(ReadMarker)
        .filter_by(**key)
        .where(ReadMarker.last_read_id < message_id)
        .values(last_read_id=message_id, updated_at=utcnow())
    )
    db.session.commit()
    return message_id


def unread_counts(user, rooms):
    """{room id: visible messages by others newer than the person's read marker}, one query."""
    if not rooms:
        return {}
    marker = sa.func.coalesce(ReadMarker.last_read_id, 0)
    query = (
        sa.select(Message.room_id, sa.func.count(Message.id))
        .outerjoin(ReadMarker, sa.and_(ReadMarker.room_id == Message.room_id, ReadMarker.user_id == user.id))
        .where(
            Message.room_id.in_([r.id for r in rooms]),
            Message.status == MessageStatus.VISIBLE,
            Message.removed_at.is_(None),
            Message.author_id != user.id,
            Message.id > marker,
        )
        .group_by(Message.room_id)
    )
    return dict(db.session.execute(query).all())


# --- posting ----------------------------------------------------------------------------------


def validate_body(body):
    if not isinstance(body, str):
        raise RoomError("invalid")
    if not body.strip():
        raise RoomError("empty")
    if len(body) > MAX_BODY:
        raise RoomError("too_long")
    return body.strip()


def validate_client_id(client_id):
    if not isinstance(client_id, str) or len(client_id) > 64:
        raise RoomError("invalid")
    try:
        return str(uuid.UUID(client_id))
    except ValueError:
        raise RoomError("invalid") from None


def existing_send(author, client_id, rules=None):
    """The message author already stored under client_id, or None (the send's rules may know)."""
    if rules is not None and rules.client_id == client_id and rules.about(author):
        return db.session.get(Message, rules.existing_id) if rules.existing_id is not None else None
    return db.session.scalar(sa.select(Message).filter_by(author_id=author.id, client_id=client_id))


def slow_mode_wait(author, room, now=None, rules=None):
    """Seconds the author must still wait in a slow-mode room (0 when free to post)."""
    if not room.slow_mode_seconds or access.is_moderator(author):
        return 0
    if rules is not None and rules.for_send(author, room):
        last = rules.last_post_at
    else:
        last = db.session.scalar(
            sa.select(sa.func.max(Message.created_at)).where(Message.room_id == room.id, Message.author_id == author.id)
        )
    if last is None:
        return 0
    if last.tzinfo is None:  # func.max bypasses the column type on some databases
        last = last.replace(tzinfo=UTC)
    elapsed = ((now or utcnow()) - last).total_seconds()
    wait = room.slow_mode_seconds - elapsed
    return max(1, int(wait + 0.999)) if wait > 0 else 0


def needs_premoderation(author, room, rules=None):
    """New members' first messages in each room wait for a moderator."""
    if author.established or access.is_moderator(author):
        return False
    if rules is not None and rules.for_send(author, room):
        return rules.approved < PREMODERATED_MESSAGES
    approved = db.session.scalar(
        sa.select(sa.func.count(Message.id)).where(
            Message.room_id == room.id, Message.author_id == author.id, Message.status == MessageStatus.VISIBLE
        )
    )
    return approved < PREMODERATED_MESSAGES


def crisis_note():
    return _(
        "Thank you for telling us. A staff member will reach out to you soon. "
        "Until then, only you and the staff can see your message."
    )


class Posted:
    """What happened to a send: the message, whether it is new, held, or a crisis."""

    def __init__(self, message, created, crisis=False, payload=None, held=None):
        self.message = message
        self.created = created
        self.crisis = crisis
        self.held = message.is_held if held is None else held
        self.payload = payload or message_payload(message)


def resent(existing):
    """The answer to a send the author already made (a lost ack, a second tab): exactly what the
    first send answered, so a crisis post held for staff still brings the crisis note and panel
    rather than the plain "waiting for review" text. Only a post still held is asked about: a
    visible one is answered `ok` either way, and costs no extra statement (test_send_cost)."""
    held = existing.is_held
    crisis = held and crisis_alerts.alert_for(existing) is not None
    return Posted(existing, created=False, crisis=crisis, held=held)


def post_message(author, room, body, client_id, rate_check, rules=None, extras=None):
    """Check every rule, store the message and commit; returns Posted (the caller broadcasts).

    `rate_check(user_id)` returns seconds to wait (0 to go ahead); it is only spent on new sends.
    `rules`: the access.RoomRules this request or event already read (`load_rules`), if any.
    `extras(message)`: stores what goes with a new message (a reply, mentions: conversation.py)
    in the same commit, once the message has its id.
    """
    rules = access.check_may_post(author, room, rules)
    client_id = validate_client_id(client_id)
    existing = existing_send(author, client_id, rules)
    if existing is not None:
        if existing.room_id != room.id:
            raise RoomError("invalid")
        return resent(existing)
    body = validate_body(body)
    crisis = wordlists.is_crisis(body)
    wait = rate_check(author.id)
    if wait:
        raise RoomError("rate_limited", retry_after=wait)
    wait = slow_mode_wait(author, room, rules=rules)
    if wait:
        raise RoomError("slow_mode", retry_after=wait)
    hits = wordlists.watched_matches(body, watched_words())
    actions = {w.action for w in hits}
    if WatchedAction.BLOCK in actions and not crisis:
        raise RoomError("blocked")
    # A crisis post is held for staff: the author sees it with the support panel, the people on
    # call are alerted (crisis.raise_alert, in this transaction), others see it once released.
    held = crisis or WatchedAction.HOLD in actions or needs_premoderation(author, room, rules)
    _serialize_posts(room)
    message = Message(
        room=room,
        author=author,
        client_id=client_id,
        body=body,
        body_html=str(chat_to_html(body)).strip(),
        status=MessageStatus.HELD.value if held else MessageStatus.VISIBLE.value,
        created_at=utcnow(),
    )
    db.session.add(message)
    _queue_flags(message, crisis, actions)
    try:
        db.session.flush()
        if crisis:
            crisis_alerts.raise_alert(message)
        if extras is not None:
            extras(message)
        payload = message_payload(message)  # built before commit expires the rows: no reload
        db.session.commit()
    except sa.exc.IntegrityError:  # the same client_id raced in from another socket
        db.session.rollback()
        existing = existing_send(author, client_id)
        if existing is None:
            raise
        return resent(existing)
    return Posted(message, created=True, crisis=crisis, payload=payload, held=held)


def _serialize_posts(room):
    """Make ids commit-ordered in this room: the room row stays locked from before the new id is
    drawn until the commit, so a message with a lower id is always committed first and a reader
    who has everything up to id X can safely ask for "ids > X" (docs/realtime.md, catch-up).

    PostgreSQL: `SELECT … FOR NO KEY UPDATE` on the room (it does not block foreign-key checks
    of other tables). SQLite needs nothing: the INSERT takes the database's single write lock,
    which is held until the commit, so ids there are commit-ordered already.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Room.id).where(Room.id == room.id).with_for_update(key_share=True))


def _queue_flags(message, crisis, actions):
    if crisis:
        db.session.add(
            Flag(kind=FlagKind.CRISIS.value, message=message, subject_user_id=message.author.id, reason="crisis phrase")
        )
    if WatchedAction.FLAG in actions:
        db.session.add(
            Flag(kind=FlagKind.WATCHED.value, message=message, subject_user_id=message.author.id, reason="watched word")
        )


def own_message(user, message_id):
    """The user's own, not removed message, or RoomError."""
    message = message_by_id(message_id)
    if message.author_id != user.id or message.removed_at is not None:
        raise RoomError("not_found")
    return message


def message_by_id(message_id):
    if not isinstance(message_id, int) or isinstance(message_id, bool) or not 0 < message_id < MAX_ID:
        raise RoomError("invalid")
    message = db.session.get(Message, message_id)
    if message is None:
        raise RoomError("not_found")
    return message


def edit_message(user, message, body):
    """Replace the body of one's own message within the edit window; commits."""
    access.check_may_post(user, message.room)
    body = validate_body(body)
    if not message.editable_by(user):
        raise RoomError("too_late")
    if wordlists.watched_matches(body, [w for w in watched_words() if w.action == WatchedAction.BLOCK]):
        raise RoomError("blocked")
    message.body = body
    message.body_html = str(chat_to_html(body)).strip()
    message.edited_at = utcnow()
    db.session.commit()
    return message


def delete_message(user, message):
    """Remove one's own message; commits."""
    access.check_may_read(user, message.room)
    message.removed_at = utcnow()
    message.removed_by_id = user.id
    message.removed_reason = "deleted by author"
    db.session.commit()
    return message


def flag_message(reporter, message, reason):
    """Put a visible message the reporter can see into the review queue; commits. A message in a
    room the reporter may not read answers `not_found`, as an unknown id does: a probe of ids
    learns nothing about rooms it cannot see."""
    if not isinstance(reason, str) or len(reason) > 300:
        raise RoomError("invalid")
    try:
        access.check_may_read(reporter, message.room)
    except RoomError as error:
        raise RoomError("not_found" if error.code in ("not_member", "banned") else error.code) from None
    if not message.is_visible:
        raise RoomError("not_found")
    already = db.session.scalar(
        sa.select(Flag.id).filter_by(message_id=message.id, reporter_id=reporter.id, resolved_at=None)
    )
    if already is None:
        db.session.add(
            Flag(
                kind=FlagKind.MEMBER.value,
                message=message,
                subject_user_id=message.author_id,
                reporter_id=reporter.id,
                reason=reason.strip()[:300],
            )
        )
        db.session.commit()
    return already is None


def accept_guidelines(user):
    """Record acceptance of the current guidelines version (idempotent); commits."""
    if not access.has_accepted_guidelines(user):
        db.session.add(GuidelinesAcceptance(user_id=user.id, version=guidelines.VERSION))
        db.session.commit()


def rooms_for_list(user):
    return access.visible_rooms(user)


def room_ids_named(slugs):
    return db.session.scalars(sa.select(Room).where(Room.slug.in_(slugs))).all()
