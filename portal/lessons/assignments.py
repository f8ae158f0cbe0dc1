"""Lessons, whole modules and worksheets a counselor assigns to the family members linked to a client.

The rules:
- a counselor assigns only for a client they manage, and only to family members whose link to
  that client is valid now (portal.care.access decides, on every request);
- the family member sees an assignment ("From your counselor") while that link stays valid;
- the counselor sees whether an assignment is done only while the family member shares their
  lesson progress (the opt-in in portal/lessons/sharing.py) — otherwise nothing about it but
  that it was sent. Worksheet answers are never shown to anyone but their author.

`assigned` (a blinker signal) is sent after the commit with (client_id, user_ids, assignment_ids),
so the notification centre can tell each family member without this package importing it.
"""

import html
from dataclasses import dataclass

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import force_locale

from portal import audit
from portal.care import access
from portal.clock import utcnow
from portal.extensions import db
from portal.lessons import picker, services, translations
from portal.lessons import worksheets as worksheet_data
from portal.lessons.content import TRANSLATED_LOCALES
from portal.lessons.models import Assignment, Lesson, LessonProgress, Module
from portal.sanitize import plain_text

signals = Namespace()
#: Sent after the commit of new assignments: client_id, user_ids, assignment_ids. (The
#: notification centre subscribes: "Your counselor suggested something to read".)
assigned = signals.signal("lessons-assigned")

NOTE_MAX = 300


class AssignmentError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


@dataclass
class AssignedItem:
    """One assignment as a page shows it."""

    assignment: Assignment
    pick: picker.Pick | None
    done: bool | None  # None: not known to the viewer (progress not shared)


def assign(counselor, client, user_ids, targets, note="", due_on=None):
    """Assign `targets` to each family member in `user_ids` linked to `client` now. One row per
    member and target (an open one already there is kept, not repeated). Returns the new rows."""
    members = {member.id: member for member in access.linked_family(client.id)}
    chosen = [uid for uid in user_ids if uid in members]
    if not chosen or len(chosen) != len(set(user_ids)):
        raise AssignmentError("not_linked")
    if not targets or picker.check(targets, worksheets=True):
        raise AssignmentError("unknown_target")
    if due_on is not None and due_on < access.consent_today():
        raise AssignmentError("due_in_past")
    note = html.unescape(plain_text((note or "").strip()))[:NOTE_MAX]  # tags removed; shown escaped
    open_rows = {
        (row.user_id, row.target)
        for row in db.session.scalars(
            sa.select(Assignment).where(Assignment.client_id == client.id, Assignment.withdrawn_at.is_(None))
        )
    }
    created = []
    for uid in chosen:
        for target in targets:
            if (uid, target) in open_rows:
                continue
            row = Assignment(
                client_id=client.id, user_id=uid, assigned_by_id=counselor.id, target=target, note=note, due_on=due_on
            )
            db.session.add(row)
            created.append(row)
    db.session.flush()
    for row in created:
        audit.record("lessons.assigned", obj=row, object_type="lesson_assignments", detail={"target": row.target})
    db.session.commit()
    if created:
        assigned.send(
            None,
            client_id=client.id,
            user_ids=sorted({r.user_id for r in created}),
            assignment_ids=[r.id for r in created],
        )
    return created


def titles_for(user, picks):
    """The titles in the reader's language, as their notice will be read: a worksheet's from the
    catalogue, a lesson's or module's from its current translation (else the English)."""
    locale = user.locale or "en"
    with force_locale(locale):
        titles = [str(pick.title) for pick in picks]
    if locale not in TRANSLATED_LOCALES:
        return titles
    lesson_ids = _ids_by_slug(Lesson, [p.slug for p in picks if p.kind == "lesson"])
    module_ids = _ids_by_slug(Module, [p.slug for p in picks if p.kind == "module"])
    lessons = translations.lesson_translations(lesson_ids.values(), locale) if lesson_ids else {}
    modules = translations.module_titles(module_ids.values(), locale) if module_ids else {}
    for index, pick in enumerate(picks):
        if pick.kind == "lesson":
            translated = translations.current_text(lessons, lesson_ids.get(pick.slug))
            titles[index] = translated.title if translated else titles[index]
        elif pick.kind == "module":
            titles[index] = modules.get(module_ids.get(pick.slug), titles[index])
    return titles


def _ids_by_slug(model, slugs):
    if not slugs:
        return {}
    return dict(db.session.execute(sa.select(model.slug, model.id).where(model.slug.in_(slugs))).all())


def withdraw(counselor, client, assignment_id):
    row = db.session.scalar(
        sa.select(Assignment).where(
            Assignment.id == assignment_id, Assignment.client_id == client.id, Assignment.withdrawn_at.is_(None)
        )
    )
    if row is None:
        raise AssignmentError("not_found")
    row.withdrawn_at = utcnow()
    audit.record("lessons.assignment_withdrawn", obj=row, object_type="lesson_assignments")
    db.session.commit()
    return row


def is_done(user, target):
    """Whether `user` has finished `target` (a lesson, a whole module, a worksheet with any answer)."""
    if target.startswith(picker.WORKSHEET_PREFIX):
        sheet = worksheet_data.find(target.removeprefix(picker.WORKSHEET_PREFIX))
        entry = sheet and worksheet_data.entry_of(user, sheet)
        return bool(entry and any(worksheet_data.answers_of(entry, sheet).values()))
    lesson_ids = picker.lesson_ids_for([target])
    if not lesson_ids:
        return False
    finished = db.session.scalar(
        sa.select(sa.func.count(LessonProgress.id)).where(
            LessonProgress.user_id == user.id,
            LessonProgress.lesson_id.in_(lesson_ids),
            LessonProgress.completed_at.is_not(None),
        )
    )
    return finished == len(lesson_ids)


def _open_rows(**where):
    query = sa.select(Assignment).filter_by(withdrawn_at=None, **where)
    return db.session.scalars(query.order_by(Assignment.due_on.is_(None), Assignment.due_on, Assignment.id)).all()


def for_family_member(user):
    """The user's open assignments whose client they may still see, with their own completion."""
    rows = _open_rows(user_id=user.id)
    if not rows:  # the usual case: one statement on every dashboard
        return []
    visible = {link.client_id for link in access.active_links(user)}
    known = picker.catalogue(worksheets=True)
    return [
        AssignedItem(row, known.get(row.target), is_done(user, row.target))
        for row in rows
        if row.client_id in visible and row.target in known
    ]


def for_counselor(client):
    """{family member: [AssignedItem]} for the client's linked family; `done` only for members who
    share their progress now, None for everyone else."""
    known = picker.catalogue(worksheets=True)
    out = []
    for member in access.linked_family(client.id):
        shares = services.sharing_enabled(member)
        items = [
            AssignedItem(row, known.get(row.target), is_done(member, row.target) if shares else None)
            for row in _open_rows(client_id=client.id, user_id=member.id)
        ]
        out.append((member, shares, items))
    return out
