"""Authoring services: modules, lessons, knowledge checks, ordering, revisions.

Every text an author writes is stored as written and rendered only through portal.sanitize.
Anything saved here marks the item as edited in the portal, so `curriculum load` keeps it.
"""

import difflib

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.clock import utcnow
from portal.extensions import db
from portal.lessons.models import Lesson, LessonRevision, Module, Question, QuizAnswer


class AuthoringError(ValueError):
    """A field-level problem: (field name, message)."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def _slug_taken(model, slug, own_id):
    found = db.session.scalar(sa.select(model.id).where(model.slug == slug))
    return found is not None and found != own_id


def save_module(module, *, title, slug, summary, intro, status):
    if _slug_taken(Module, slug, module.id if module else None):
        raise AuthoringError("slug", _l("Another module already uses this web address name."))
    if module is None:
        last = db.session.scalar(sa.select(sa.func.max(Module.position))) or 0
        module = Module(position=last + 1)
        db.session.add(module)
    module.title, module.slug, module.summary, module.status = title.strip(), slug, (summary or "").strip(), status
    module.set_intro(intro)
    module.edited_in_portal = True
    db.session.commit()
    return module


def save_lesson(
    lesson,
    author,
    *,
    module_id,
    title,
    slug,
    summary,
    minutes,
    reflection_prompt,
    body,
    status,
    practice_text="",
    practice_followup="",
):
    if db.session.get(Module, module_id) is None:
        raise AuthoringError("module_id", _l("Please choose a module."))
    if _slug_taken(Lesson, slug, lesson.id if lesson else None):
        raise AuthoringError("slug", _l("Another lesson already uses this web address name."))
    practice_text = " ".join((practice_text or "").split())
    practice_followup = (practice_followup or "").strip()
    if practice_followup and not practice_text:
        raise AuthoringError("practice_text", _l("Please write the practice before naming a follow-up lesson."))
    if practice_followup and (
        practice_followup == slug or db.session.scalar(sa.select(Lesson.id).filter_by(slug=practice_followup)) is None
    ):
        raise AuthoringError("practice_followup", _l("Please name another lesson by its web address name."))
    if lesson is None or lesson.module_id != module_id:
        last = db.session.scalar(sa.select(sa.func.max(Lesson.position)).where(Lesson.module_id == module_id)) or 0
        if lesson is None:
            lesson = Lesson()
            db.session.add(lesson)
        lesson.position = last + 1
    lesson.module_id, lesson.title, lesson.slug = module_id, title.strip(), slug
    lesson.summary, lesson.minutes = (summary or "").strip(), minutes
    lesson.reflection_prompt, lesson.status = (reflection_prompt or "").strip(), status
    lesson.set_body(body)
    lesson.practice_text, lesson.practice_followup = practice_text, practice_followup
    lesson.edited_in_portal = True
    db.session.flush()
    db.session.add(LessonRevision.snapshot(lesson, author))
    db.session.commit()
    return lesson


def restore_revision(lesson, revision, author):
    """Bring back an earlier state (itself recorded as a new revision)."""
    lesson.title, lesson.summary = revision.title, revision.summary
    lesson.reflection_prompt, lesson.minutes = revision.reflection_prompt, revision.minutes
    lesson.set_body(revision.body_md)
    lesson.edited_in_portal = True
    db.session.add(LessonRevision.snapshot(lesson, author, source="restore"))
    db.session.commit()
    return lesson


def revisions_of(lesson):
    return list(
        db.session.scalars(sa.select(LessonRevision).filter_by(lesson_id=lesson.id).order_by(LessonRevision.id.desc()))
    )


def diff_lines(old_text, new_text):
    """A unified diff as (kind, text) pairs, kind in {'add', 'del', 'hunk', 'same'}."""
    lines = []
    diff = difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), "revision", "current", lineterm="", n=2)
    for line in list(diff)[2:]:
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines


def _swap_position(items, item, direction):
    """Move item one place up or down among items (renumbering them 1..n)."""
    items = list(items)
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items, start=1):
        each.position = position
    db.session.commit()


def move_module(module, direction):
    modules = db.session.scalars(sa.select(Module).order_by(Module.position, Module.id))
    _swap_position(modules, module, direction)


def move_lesson(lesson, direction):
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.module_id == lesson.module_id).order_by(Lesson.position, Lesson.id)
    )
    lesson.edited_in_portal = True
    _swap_position(lessons, lesson, direction)


def save_question(lesson, question, *, prompt, choices, answer, explanation, feedback=None):
    """Create or change a knowledge-check question; answer is zero-based, feedback one text per choice."""
    if question is None:
        question = Question(position=len(lesson.questions))
        lesson.questions.append(question)
    elif (question.prompt, question.choices, question.answer) != (prompt, choices, answer):
        db.session.execute(sa.delete(QuizAnswer).where(QuizAnswer.question_id == question.id))
    question.prompt, question.choices, question.answer = prompt.strip(), choices, answer
    question.explanation = (explanation or "").strip()
    feedback = [(text or "").strip() for text in (feedback or [])][: len(choices)]
    question.feedback = feedback + [""] * (len(choices) - len(feedback)) if any(feedback) else None
    lesson.edited_in_portal = True
    lesson.updated_at = utcnow()
    db.session.commit()
    return question


def delete_question(question):
    lesson = question.lesson
    lesson.questions.remove(question)
    for position, each in enumerate(lesson.questions):
        each.position = position
    lesson.edited_in_portal = True
    db.session.commit()
