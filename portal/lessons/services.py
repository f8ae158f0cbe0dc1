"""Learner services: progress, knowledge checks, reflections, certificates, sharing.

Services take explicit arguments, commit once and raise LessonError for rule breaks.
"""

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from portal import audit
from portal.clock import utcnow
from portal.extensions import db
from portal.lessons.models import (
    Certificate,
    Lesson,
    LessonProgress,
    Module,
    PracticeCommitment,
    ProgressSharing,
    Question,
    QuizAnswer,
    Reflection,
    Status,
)

REFLECTION_MAX = 10_000


class LessonLink(NamedTuple):
    slug: str
    title: str


class LessonError(ValueError):
    """A request the lesson rules do not allow; the message is safe to show."""


def published_lessons_query():
    return (
        sa.select(Lesson)
        .join(Lesson.module)
        .where(Lesson.status == Status.PUBLISHED, Module.status == Status.PUBLISHED)
    )


def find_published_lesson(slug):
    """The published lesson with its module (read from the same join: pages show both)."""
    if not isinstance(slug, str) or len(slug) > 80:
        return None
    query = published_lessons_query().where(Lesson.slug == slug).options(contains_eager(Lesson.module))
    return db.session.scalar(query)


def find_published_module(slug):
    if not isinstance(slug, str) or len(slug) > 80:
        return None
    return db.session.scalar(sa.select(Module).filter_by(slug=slug, status=Status.PUBLISHED))


def module_lessons(module):
    """The published lessons of a module, in order."""
    return list(
        db.session.scalars(
            published_lessons_query().where(Lesson.module_id == module.id).order_by(Lesson.position, Lesson.id)
        )
    )


def _progress(user, lesson):
    return db.session.scalar(sa.select(LessonProgress).filter_by(user_id=user.id, lesson_id=lesson.id))


def _commit_or_retry(make):
    """Commit; if a double submission raced us to the unique row, roll back and use theirs."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return make()
    return None


_UNKNOWN = object()

#: Re-opening a lesson moves its "last seen" time at most this often (seconds): reading a page
#: should not cost a database write each time, and "continue where you left off" only needs
#: to know roughly when each lesson was last opened.
LAST_SEEN_RESOLUTION = 60


def record_visit(user, lesson, progress=_UNKNOWN):
    """Note that the user opened the lesson (starts progress, moves 'last seen' once a minute).

    `progress` is the user's row for the lesson when the caller has already read it (None: no
    row yet). Commits only when something changed."""
    if progress is _UNKNOWN:
        progress = _progress(user, lesson)
    now = utcnow()
    if progress is None:
        progress = LessonProgress(user_id=user.id, lesson_id=lesson.id, started_at=now, last_seen_at=now)
        db.session.add(progress)
    elif (now - progress.last_seen_at).total_seconds() >= LAST_SEEN_RESOLUTION:
        progress.last_seen_at = now
    else:
        return progress
    return _commit_or_retry(lambda: _progress(user, lesson)) or progress


@dataclass
class LessonPage:
    """What the lesson page shows: the lesson (with its module), the reader's own progress and
    reflection, and the lessons before and after it in reading order."""

    lesson: Lesson
    progress: LessonProgress | None
    reflection: Reflection | None
    previous: LessonLink | None
    following: LessonLink | None
    #: The reader's open "I'll try this" for the lesson's practice (None without a practice).
    commitment: PracticeCommitment | None = None


def lesson_page(user, slug):
    """The LessonPage of the published lesson with this slug for user, or None: one statement
    (reading order comes from a window over the published curriculum, however long it is)."""
    if not isinstance(slug, str) or len(slug) > 80:
        return None
    row = db.session.execute(_lesson_page_statement(), {"user_id": user.id, "slug": slug}).first()
    if row is None:
        return None
    lesson, progress, reflection, commitment, prev_slug, prev_title, next_slug, next_title = row
    return LessonPage(
        lesson,
        progress,
        reflection,
        LessonLink(prev_slug, prev_title) if prev_slug else None,
        LessonLink(next_slug, next_title) if next_slug else None,
        commitment if lesson.practice_text else None,
    )


@cache
def _lesson_page_statement():
    """The lesson page's statement, built once per process (the reader and the slug are bound
    parameters): putting it together again took more time than the database took to answer it."""
    window = {"order_by": (Module.position, Module.id, Lesson.position, Lesson.id)}
    ranked = (
        published_lessons_query()
        .with_only_columns(
            Lesson.id,
            sa.func.lag(Lesson.slug).over(**window).label("prev_slug"),
            sa.func.lag(Lesson.title).over(**window).label("prev_title"),
            sa.func.lead(Lesson.slug).over(**window).label("next_slug"),
            sa.func.lead(Lesson.title).over(**window).label("next_title"),
        )
        .subquery()
    )
    reader = sa.bindparam("user_id", type_=sa.Integer)
    return (
        published_lessons_query()
        .join(ranked, ranked.c.id == Lesson.id)
        .outerjoin(LessonProgress, (LessonProgress.lesson_id == Lesson.id) & (LessonProgress.user_id == reader))
        .outerjoin(Reflection, (Reflection.lesson_id == Lesson.id) & (Reflection.user_id == reader))
        .outerjoin(PracticeCommitment, _open_commitment_of(reader))  # at most one: a unique index
        .where(Lesson.slug == sa.bindparam("slug", type_=sa.String))
        .add_columns(LessonProgress, Reflection, PracticeCommitment, ranked.c.prev_slug, ranked.c.prev_title)
        .add_columns(ranked.c.next_slug, ranked.c.next_title)
        .options(contains_eager(Lesson.module))
    )


def _open_commitment_of(reader):
    """The join condition of the reader's open commitment to the lesson's practice (practice.py
    owns commitments; the lesson page reads the open one in its own statement)."""
    return (
        (PracticeCommitment.lesson_id == Lesson.id)
        & (PracticeCommitment.user_id == reader)
        & PracticeCommitment.outcome.is_(None)
    )


def questions_with_answers(user, lesson):
    """[(question, the user's answer or None)] in order, in one statement."""
    params = {"user_id": user.id, "lesson_id": lesson.id}
    return [tuple(row) for row in db.session.execute(_questions_statement(), params)]


@cache
def _questions_statement():
    """Built once per process, like the lesson page's statement."""
    reader = sa.bindparam("user_id", type_=sa.Integer)
    return (
        sa.select(Question, QuizAnswer)
        .outerjoin(QuizAnswer, (QuizAnswer.question_id == Question.id) & (QuizAnswer.user_id == reader))
        .where(Question.lesson_id == sa.bindparam("lesson_id", type_=sa.Integer))
        .order_by(Question.position, Question.id)
    )


def complete_lesson(user, lesson):
    """Mark the lesson complete (idempotent); returns a new Certificate when the module is done."""
    progress = _progress(user, lesson)
    now = utcnow()
    if progress is None:
        progress = LessonProgress(user_id=user.id, lesson_id=lesson.id, started_at=now, last_seen_at=now)
        db.session.add(progress)
    if progress.completed_at is None:
        progress.completed_at = now
    progress.last_seen_at = now
    db.session.flush()
    certificate = _maybe_certificate(user, lesson.module)
    if _commit_or_retry(lambda: True):
        return None
    return certificate


def _maybe_certificate(user, module):
    existing = db.session.scalar(sa.select(Certificate).filter_by(user_id=user.id, module_id=module.id))
    if existing is not None:
        return None
    lesson_ids = set(
        db.session.scalars(sa.select(Lesson.id).where(Lesson.module_id == module.id, Lesson.status == Status.PUBLISHED))
    )
    done = set(
        db.session.scalars(
            sa.select(LessonProgress.lesson_id).where(
                LessonProgress.user_id == user.id,
                LessonProgress.lesson_id.in_(lesson_ids),
                LessonProgress.completed_at.is_not(None),
            )
        )
    )
    if not lesson_ids or lesson_ids - done:
        return None
    certificate = Certificate(
        user_id=user.id,
        module_id=module.id,
        recipient_name=user.display_name,
        module_title=module.title,
        issued_at=utcnow(),
    )
    db.session.add(certificate)
    return certificate


def answer_question(user, lesson, question_id, choice):
    """Record (or change) the user's answer; returns (question, answer)."""
    question = db.session.get(Question, question_id) if isinstance(question_id, int) else None
    if question is None or question.lesson_id != lesson.id:
        raise LessonError(_l("That question is not part of this lesson."))
    if not isinstance(choice, int) or not 0 <= choice < len(question.choices):
        raise LessonError(_l("Please choose one of the answers."))
    answer = db.session.scalar(sa.select(QuizAnswer).filter_by(user_id=user.id, question_id=question.id))
    if answer is None:
        answer = QuizAnswer(user_id=user.id, question_id=question.id)
        db.session.add(answer)
    answer.choice, answer.correct, answer.answered_at = choice, question.is_correct(choice), utcnow()
    retry = _commit_or_retry(lambda: answer_question(user, lesson, question_id, choice))
    return retry or (question, answer)


def answers_for(user, lesson):
    """{question_id: QuizAnswer} for this user and lesson."""
    rows = db.session.scalars(
        sa.select(QuizAnswer).join(Question).where(QuizAnswer.user_id == user.id, Question.lesson_id == lesson.id)
    )
    return {row.question_id: row for row in rows}


# --- reflections (private to their author) ------------------------------------------------------


def reflection_for(user, lesson):
    return db.session.scalar(sa.select(Reflection).filter_by(user_id=user.id, lesson_id=lesson.id))


def save_reflection(user, lesson, text):
    text = (text or "").strip()
    if not text:
        raise LessonError(_l("Please write something before saving, or delete the reflection instead."))
    if len(text) > REFLECTION_MAX:
        raise LessonError(_l("Please keep a reflection under %(n)s characters.", n=f"{REFLECTION_MAX:,}"))
    reflection = reflection_for(user, lesson)
    if reflection is None:
        reflection = Reflection(user_id=user.id, lesson_id=lesson.id, created_at=utcnow())
        db.session.add(reflection)
    reflection.set_body(text)
    reflection.updated_at = utcnow()
    return _commit_or_retry(lambda: save_reflection(user, lesson, text)) or reflection


def delete_reflection(user, lesson):
    """Delete the user's reflection on the lesson; True if there was one."""
    result = db.session.execute(sa.delete(Reflection).filter_by(user_id=user.id, lesson_id=lesson.id))
    db.session.commit()
    return result.rowcount > 0


def reflections_of(user):
    """All of the user's reflections with their lessons, in curriculum order."""
    return list(
        db.session.scalars(
            sa.select(Reflection)
            .join(Reflection.lesson)
            .join(Lesson.module)
            .where(Reflection.user_id == user.id)
            .order_by(Module.position, Lesson.position, Lesson.id)
            .options(contains_eager(Reflection.lesson).contains_eager(Lesson.module))
        )
    )


# --- certificates --------------------------------------------------------------------------------


def certificates_of(user):
    return list(db.session.scalars(sa.select(Certificate).filter_by(user_id=user.id).order_by(Certificate.issued_at)))


def find_certificate(code):
    """The certificate with this verification code (case and spaces forgiven), or None."""
    if not isinstance(code, str):
        return None
    code = "".join(code.split()).upper()
    if not 5 <= len(code) <= 20:
        return None
    return db.session.scalar(sa.select(Certificate).filter_by(code=code))


# --- sharing progress with the counselor ------------------------------------------------------


def sharing_enabled(user):
    row = db.session.get(ProgressSharing, user.id)
    return bool(row and row.enabled)


def set_sharing(user, enabled):
    row = db.session.get(ProgressSharing, user.id)
    if row is None:
        row = ProgressSharing(user_id=user.id, enabled=False)
        db.session.add(row)
    if row.enabled != enabled:
        row.enabled, row.changed_at = enabled, utcnow()
        audit.record(
            "lessons.sharing_" + ("on" if enabled else "off"), actor=user, object_type="users", object_id=user.id
        )
    db.session.commit()
    return row
