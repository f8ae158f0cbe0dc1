"""Private check-ins: a moderator or counselor writes privately to one member (from a queue
item or a message); the member reads and answers in that thread. Only staff start threads;
members have no way to write to each other privately. Every thread and post is audited
(never the text).

New posts travel live over /chat (`checkin_post`, docs/realtime.md) to every person who may
read the thread, found again at each post: the member and every staff member, so a counselor
sees a member's answer as a moderator does."""

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import audit
from portal.auth.models import User, UserRole
from portal.care.access import valid_id
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.services import internal_path, notify
from portal.rooms import access, broadcast, crisis, services
from portal.rooms.errors import RoomError
from portal.rooms.models import CheckIn, CheckInPost, Notice, Suspension
from portal.sanitize import chat_to_html
from portal.security import STAFF_ROLES, Permission

MAX_BODY = 2000
POSTS_MAX = 200  # posts per `checkin_posts` answer


def may_start(user):
    """Staff (moderators, counselors, admins: `security.STAFF_ROLES`) start check-ins and read
    every thread; no one else. Kept as roles so that the readers of a thread are found in one
    statement (`readers`)."""
    return user.is_staff


def may_read(user, thread):
    return user.id == thread.member_id or may_start(user)


def may_connect(user, rules=None):
    """Who may open a /chat socket: whoever may chat, and also counselors, who have no rooms
    but must get check-in posts live (their room events are still refused)."""
    return access.in_good_standing(user, _chats_or_reads_threads, rules)


def _chats_or_reads_threads(user):
    return user.can(Permission.CHAT) or may_start(user)


def _body(text):
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise RoomError("empty")
    if len(text) > MAX_BODY:
        raise RoomError("too_long")
    return text


def _add(thread, author, text):
    """A new post in the thread (which has its id): added by the thread's id, not through
    `thread.posts`, which would first read every earlier post of the thread."""
    post = CheckInPost(checkin_id=thread.id, author_id=author.id, body=text, body_html=str(chat_to_html(text)).strip())
    db.session.add(post)
    return post


def _notify_member(thread, author):
    """A staff post tells the member through the notifications (in this transaction): the bell
    and its link to the thread on whatever page they have open — a room page shows only room
    events live, so without this a later post reached a member only on the thread page — and
    the neutral email they chose for notes from staff. The member's own answers notify no one."""
    if author.id == thread.member_id:
        return
    url = internal_path("rooms.checkin", checkin_id=thread.id)
    notify(db.session.get(User, thread.member_id), "checkin_post", url=url)


def thread_for(user, checkin_id):
    """The thread with this id when this person may read it. Someone else's thread answers
    `not_found`, exactly like an unknown id: whether it exists is not theirs to know."""
    thread = db.session.get(CheckIn, checkin_id) if valid_id(checkin_id) else None
    if thread is None or not may_read(user, thread):
        raise RoomError("not_found")
    return thread


def post_payload(post, words=None):
    """A post as every reader of the thread sees it on the page: the author's public name and
    whether they are staff, never an id or an email (the same data for the member and staff)."""
    return {
        "id": post.id,
        "checkin": post.checkin_id,
        "author": {"display_name": services.public_name(post.author, words)},
        "staff": post.author.is_staff,
        "body_html": str(post.body_html),
        "created_at": services.iso_z(post.created_at),
    }


def posts_after(thread, after_id=None, limit=None):
    """The thread's posts with ids above after_id, oldest first, at most `limit`; and whether
    more follow (a client catching up asks again from the newest it got)."""
    limit = limit or POSTS_MAX
    query = sa.select(CheckInPost).filter_by(checkin_id=thread.id).order_by(CheckInPost.id).limit(limit + 1)
    if after_id is not None:
        query = query.where(CheckInPost.id > after_id)
    posts = db.session.scalars(query).all()
    words = services.watched_words()
    return [post_payload(p, words) for p in posts[:limit]], len(posts) > limit


def readers(thread):
    """The ids of everyone who may read the thread now and may hold a socket: its member and
    the staff of `STAFF_ROLES` (the rule of `may_read`), active and not suspended (the rule of
    `may_connect`) — asked of the database in one statement, at each post."""
    staff = sa.select(UserRole.user_id).where(UserRole.role.in_([role.value for role in STAFF_ROLES]))
    suspended = sa.exists().where(*access.in_force(Suspension, User.id, utcnow()))
    return db.session.scalars(
        sa.select(User.id)
        .where(sa.or_(User.id == thread.member_id, User.id.in_(staff)), User.active.is_(True), ~suspended)
        .order_by(User.id)
    ).all()


def announce(thread, post):
    """Send a committed post live to the open sockets of every reader of its thread (any
    process, through the broadcast module). Called after the commit, never before it."""
    broadcast.checkin_post(readers(thread), post_payload(post))


def start(staff, member, text, message=None):
    """Open a thread with its first post and tell the member (the caller publishes the notice)."""
    if not may_start(staff):
        raise RoomError("unauthorized")
    if member.id == staff.id or member.is_staff:
        raise RoomError("invalid")
    text = _body(text)
    thread = CheckIn(member_id=member.id, started_by_id=staff.id, message_id=message.id if message else None)
    db.session.add(thread)
    db.session.flush()
    _add(thread, staff, text)
    if message is not None:
        crisis.mark_handled(staff, message, "checked_in")
    note = _("A staff member sent you a private message. You can read and answer it in the rooms.")
    db.session.add(Notice(user_id=member.id, text=note))
    _notify_member(thread, staff)
    audit.record("checkin.started", actor=staff, object_type="room_checkins", object_id=thread.id)
    db.session.commit()
    return thread, (member.id, note)


def reply(user, thread, text):
    """Add an answer to a thread the person may read; commits and returns the post."""
    if not may_read(user, thread):
        raise RoomError("not_found")
    text = _body(text)
    post = _add(thread, user, text)
    _notify_member(thread, user)
    audit.record("checkin.reply", actor=user, object_type="room_checkins", object_id=thread.id)
    db.session.commit()
    return post


def threads_of(member):
    return db.session.scalars(
        sa.select(CheckIn).filter_by(member_id=member.id).order_by(CheckIn.created_at.desc())
    ).all()


def recent_threads(limit=50):
    return db.session.scalars(sa.select(CheckIn).order_by(CheckIn.created_at.desc()).limit(limit)).all()
