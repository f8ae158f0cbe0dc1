"""The "Try this week" practice: commitments, the follow-up on a later visit, and the next
step for each answer (docs/curriculum.md, "Try this week").

Services take explicit arguments (never `request` or `current_user`), commit once and raise
LessonError for what the rules do not allow. Every lookup is scoped to its owner: a commitment
id that is someone else's is the same as one that does not exist.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from portal import audit
from portal.clock import utcnow
from portal.extensions import db
from portal.lessons import overview, services, tracks
from portal.lessons.models import Lesson, Outcome, PracticeCommitment
from portal.lessons.services import LessonError, LessonLink

NOTE_MAX = 2_000


def open_commitment(user, lesson):
    """The user's open commitment to this lesson's practice, or None."""
    return db.session.scalar(
        sa.select(PracticeCommitment).where(
            PracticeCommitment.user_id == user.id,
            PracticeCommitment.lesson_id == lesson.id,
            PracticeCommitment.outcome.is_(None),
        )
    )


def commit(user, lesson):
    """ "I'll try this": one open commitment per person and lesson (a second submit returns the first)."""
    if not lesson.practice_text:
        raise LessonError(_l("This lesson has no practice to try."))
    existing = open_commitment(user, lesson)
    if existing is not None:
        return existing
    commitment = PracticeCommitment(user_id=user.id, lesson_id=lesson.id, committed_at=utcnow())
    db.session.add(commitment)
    try:
        db.session.commit()
    except IntegrityError:  # a double submit raced us to the open row: use theirs
        db.session.rollback()
        return open_commitment(user, lesson)
    return commitment


def find_own(user, commitment_id):
    """The user's own commitment with its lesson, or None (unknown ids and other people's look the same)."""
    if not isinstance(commitment_id, int) or not 0 < commitment_id < 2**31:
        return None
    return db.session.scalar(
        sa.select(PracticeCommitment)
        .join(PracticeCommitment.lesson)
        .where(PracticeCommitment.id == commitment_id, PracticeCommitment.user_id == user.id)
        .options(contains_eager(PracticeCommitment.lesson))
    )


def withdraw(user, commitment):
    """Take back an open commitment (it is deleted: nothing was tried, nothing to share).
    True when one was withdrawn; an answered commitment stays as it is."""
    if commitment.user_id != user.id or not commitment.is_open:
        return False
    db.session.delete(commitment)
    db.session.commit()
    return True


def due_for_followup(user, session_started_at):
    """Open commitments made before this sign-in session began (on an earlier visit), oldest first."""
    if session_started_at is None:
        return []
    return list(
        db.session.scalars(
            sa.select(PracticeCommitment)
            .join(PracticeCommitment.lesson)
            .where(
                PracticeCommitment.user_id == user.id,
                PracticeCommitment.outcome.is_(None),
                PracticeCommitment.committed_at < session_started_at,
            )
            .order_by(PracticeCommitment.committed_at, PracticeCommitment.id)
            .options(contains_eager(PracticeCommitment.lesson))
        )
    )


def record_outcome(user, commitment, outcome):
    """How it went: tried, didn't get to it, or went badly. Answering twice with the same answer
    (a double submit) changes nothing; an answered commitment cannot be answered differently."""
    if outcome not in set(Outcome):
        raise LessonError(_l("Please choose how it went."))
    if commitment.outcome == outcome:
        return commitment
    if not commitment.is_open:
        raise LessonError(_l("You already told us how this one went."))
    commitment.outcome, commitment.outcome_at = str(outcome), utcnow()
    db.session.commit()
    return commitment


def keep_for_another_week(user, commitment):
    """ "Didn't get to it" → commit to the same practice again (the open one if a double submit made it)."""
    if commitment.outcome != Outcome.NOT_YET:
        raise LessonError(_l("Only a practice you didn't get to can be kept for another week."))
    return commit(user, commitment.lesson)


def save_note(user, commitment, text, share):
    """The optional private note after "it went badly"; shared with the counselor only if `share`."""
    if commitment.outcome != Outcome.WENT_BADLY:
        raise LessonError(_l("A note can be added when a practice went badly."))
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise LessonError(_l("Please keep a note under %(n)s characters.", n=f"{NOTE_MAX:,}"))
    commitment.set_note(text)
    shared = bool(share and text)
    if shared != commitment.note_shared:  # the choice to show the counselor a note is audited
        audit.record(
            "lessons.practice_note_" + ("shared" if shared else "unshared"),
            actor=user,
            object_type="practice_commitments",
            object_id=commitment.id,
        )
    commitment.note_shared = shared
    db.session.commit()
    return commitment


@dataclass
class NextStep:
    """What the page after an answer offers: a lesson to read (or None)."""

    lesson: LessonLink | None


def next_step(user, commitment):
    """The lesson to offer after an answer: when it went badly, the practice's follow-up lesson;
    when it was tried, the next lesson on the person's recommended path (or where they left off)."""
    if commitment.outcome == Outcome.WENT_BADLY:
        found = services.find_published_lesson(commitment.lesson.practice_followup or None)
        return NextStep(LessonLink(found.slug, found.title) if found else None)
    if commitment.outcome == Outcome.TRIED:
        role = getattr(user, "family_role", None)
        path = tracks.track_overview(user.id, role) if role else None
        upcoming = path.next_lesson if path else None
        if upcoming is None or upcoming.slug == commitment.lesson.slug:
            found = overview.continue_where_left_off(user.id)
            upcoming = found[1] if found else None
        return NextStep(LessonLink(upcoming.slug, upcoming.title) if upcoming else None)
    return NextStep(None)


@dataclass
class SharedPractice:
    """One commitment as the counselor sees it: never the note unless the person shared it."""

    lesson_title: str
    state: str  # open | tried | not_yet | went_badly
    committed_at: object
    note_html: str | None


def shared_practice(user_id):
    """A family member's commitments for their counselor (the caller checks sharing and consent)."""
    rows = db.session.execute(
        sa.select(PracticeCommitment, Lesson.title)
        .join(Lesson, Lesson.id == PracticeCommitment.lesson_id)
        .where(PracticeCommitment.user_id == user_id)
        .order_by(PracticeCommitment.committed_at.desc(), PracticeCommitment.id.desc())
    )
    return [
        SharedPractice(
            title,
            commitment.outcome or "open",
            commitment.committed_at,
            commitment.note_html if commitment.note_shared else None,
        )
        for commitment, title in rows
    ]
