"""A counselor's new assignments become notices in the notification centre ("From your counselor").

Lessons sits above notifications, so it answers its own `assigned` signal here (as the calendar
calls `notify` for its sessions): one notice per family member for what was assigned at once,
sent by email, kept for the digest or left in the portal as each person chose (the "lessons"
topic). The notice names the lessons (the portal shows them to the person anyway); its email
does not (portal/notifications/kinds.py). It is tied to the client, so it is hidden once the
person's consent for that client ends.
"""

import logging

import sqlalchemy as sa

from portal.auth.models import User
from portal.extensions import db
from portal.lessons import assignments, picker
from portal.lessons.assignments import assigned
from portal.lessons.models import Assignment
from portal.notifications.services import internal_path, notify

log = logging.getLogger("portal.lessons")

KIND = "lesson_assigned"


@assigned.connect
def on_assigned(sender, client_id=None, user_ids=(), assignment_ids=(), **extra):
    """After the assignments' commit; a failure here leaves the assignments standing."""
    if not assignment_ids:
        return
    try:
        rows = db.session.scalars(
            sa.select(Assignment).where(Assignment.id.in_(list(assignment_ids))).order_by(Assignment.id)
        ).all()
        by_user = {}
        for row in rows:
            by_user.setdefault(row.user_id, []).append(row)
        known = picker.catalogue(worksheets=True)
        users = db.session.scalars(sa.select(User).where(User.id.in_(list(by_user))))
        for user in users:
            _notify_member(user, by_user[user.id], known)
        db.session.commit()
    except Exception:  # noqa: BLE001 — the assignment stands; the notice is a courtesy
        db.session.rollback()
        log.exception("could not store an assignment notice")


def _notify_member(user, rows, known):
    picks = [known[row.target] for row in rows if row.target in known]
    if not picks:
        return None
    first = rows[0]
    if len(picks) == 1:
        url = internal_path(picks[0].endpoint, slug=picks[0].slug)
    else:
        url = internal_path("main.dashboard", _anchor="from-your-counselor")
    dues = sorted(row.due_on for row in rows if row.due_on is not None)
    return notify(
        user,
        KIND,
        url=url,
        client_id=first.client_id,
        titles=assignments.titles_for(user, picks),
        modules=[pick.kind == "module" for pick in picks],
        due=dues[0].isoformat() if dues else None,
        note=first.note or None,
        assignment_ids=[row.id for row in rows],
    )
