"""Sockets follow a person's standing: whenever what they may read changes — a consent revoked,
expired or ended by discharge or a program transfer, a role removed, a room closed to them —
their open sockets leave every room they may no longer read at once, and the moderators'
channel when they no longer moderate. A session that idled out or was revoked ends its sockets
(`end_expired_sockets`, run by the server's upkeep loop)."""

import logging

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from portal.auth.models import SessionRecord, User
from portal.auth.sessions import idle_limit_for, standing_changed
from portal.care.access import consent_ended
from portal.clock import utcnow
from portal.extensions import db
from portal.rooms import access, broadcast, presence
from portal.rooms.errors import RoomError
from portal.rooms.events import announce_presence

log = logging.getLogger("portal.rooms")


def _may_read(user, slug):
    try:
        access.check_may_read(user, access.room_by_slug(slug))
    except RoomError:
        return False
    return True


def recheck(user_ids):
    """Take each person's sockets out of the rooms they may no longer read; returns the slugs
    left, as (user id, slug) pairs."""
    store = presence.store()
    left = []
    for user_id in user_ids:
        sids = store.sids_of_user(user_id)
        if not sids:
            continue
        user = db.session.get(User, user_id, populate_existing=True)
        rooms = set().union(*(store.rooms_of(sid) for sid in sids))
        for slug in sorted(rooms):
            if user is None or not _may_read(user, slug):
                broadcast.remove_from_room(user_id, slug)
                left.append((user_id, slug))
        if user is None or not access.is_moderator(user):
            broadcast.leave_moderators(user_id)
    for slug in sorted({slug for _, slug in left}):
        announce_presence(slug)
    return left


def recheck_room(slug):
    """Everyone online in a room whose rules changed (e.g. archived) is checked again."""
    return recheck(sorted(presence.store().online_user_ids(slug)))


def _recheck_after_commit(user_ids, why):
    """recheck, for a signal sent after a committed change: a failure here (Redis away) is
    logged and must not turn the change that was saved into an error page."""
    try:
        left = recheck(user_ids)
    except Exception:
        log.exception("rooms: re-checking sockets after %s failed", why)
        return
    log.info("%s: %d room(s) left", why, len(left))


@consent_ended.connect
def _on_consent_ended(sender, user_ids=(), **kwargs):
    """A consent stopped allowing access (revoked, expired, discharge, transfer, link left)."""
    _recheck_after_commit(list(user_ids or ()), f"consent {kwargs.get('consent_id')} ended")


@standing_changed.connect
def _on_standing_changed(sender, user_id=None, reason=None, **kwargs):
    """Roles changed (or anything else that changes what a person may read)."""
    if user_id is not None:
        _recheck_after_commit([user_id], f"standing of user {user_id} changed ({reason})")


def end_expired_sockets(now=None):
    """End this process's sockets whose session has expired (idle or absolute), was revoked, or
    whose account was closed; returns how many. Run every minute by the upkeep loop."""
    now = now or utcnow()
    local = presence.store().local_session_records()
    ids = {record_id for record_id in local.values() if record_id is not None}
    if not ids:
        return 0
    records = {
        record.id: record
        for record in db.session.scalars(
            sa.select(SessionRecord).where(SessionRecord.id.in_(ids)).options(joinedload(SessionRecord.user))
        )
    }
    ended = []
    for sid, record_id in local.items():
        record = records.get(record_id)
        if record_id is None or (
            record is not None and record.user.active and record.is_live(idle_limit_for(record.user), now)
        ):
            continue
        if record is not None:
            record.revoke(record.revoked_reason or "expired")
        ended.append(sid)
    db.session.commit()
    for sid in ended:
        broadcast.end_socket(sid)
    return len(ended)
