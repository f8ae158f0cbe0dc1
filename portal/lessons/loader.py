"""`flask curriculum load`: upsert the curriculum files by slug, idempotently.

Learners' progress hangs off lesson ids, which never change here, so it survives reloads.
A lesson or module edited in the portal keeps those edits unless the load is forced.
"""

from collections import Counter

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons.content import ContentError, read_curriculum
from portal.lessons.models import Lesson, LessonRevision, Module, Question, QuizAnswer, Status
from portal.lessons.tracks import read_tracks


def load_curriculum(root=None, force=False):
    """Load every module and lesson under root; returns a Counter of what happened. The tracks
    file is checked first (portal/lessons/tracks.py): a track naming an unknown lesson stops the load."""
    report = Counter()
    modules = {m.slug: m for m in db.session.scalars(sa.select(Module))}
    lessons = {x.slug: x for x in db.session.scalars(sa.select(Lesson))}
    sources = read_curriculum(root)
    known_slugs = {lesson.slug for source in sources for lesson in source.lessons}
    read_tracks(root, known_slugs=known_slugs)
    check_followups(sources, known_slugs | set(lessons))
    for source in sources:
        module = modules.get(source.slug)
        report["modules " + _upsert_module(module, source, force, modules)] += 1
        module = modules[source.slug]
        for lesson_source in source.lessons:
            outcome = _upsert_lesson(lessons.get(lesson_source.slug), lesson_source, module, force, lessons)
            report["lessons " + outcome] += 1
    db.session.commit()
    return report


def check_followups(sources, known_slugs):
    """A practice's followup names another known lesson, or the load stops (ContentError)."""
    for source in sources:
        for lesson in source.lessons:
            followup = lesson.practice.followup if lesson.practice else ""
            if followup and (followup not in known_slugs or followup == lesson.slug):
                raise ContentError(f"{lesson.path}: practice followup {followup!r} is not another lesson")


def _upsert_module(module, source, force, modules):
    if module is None:
        module = Module(slug=source.slug, status=Status.PUBLISHED.value)
        db.session.add(module)
        modules[source.slug] = module
        outcome = "created"
    elif module.edited_in_portal and not force:
        return "kept portal edits"
    elif module.source_hash == source.fingerprint and not module.edited_in_portal:
        return "unchanged"
    else:
        outcome = "updated"
    module.title, module.summary, module.position = source.title, source.summary, source.order
    module.set_intro(source.intro)
    module.source_hash, module.edited_in_portal = source.fingerprint, False
    return outcome


def _upsert_lesson(lesson, source, module, force, lessons):
    if lesson is None:
        lesson = Lesson(slug=source.slug, status=Status.PUBLISHED.value)
        db.session.add(lesson)
        lessons[source.slug] = lesson
        outcome = "created"
    elif lesson.edited_in_portal and not force:
        return "kept portal edits"
    elif lesson.source_hash == source.fingerprint and not lesson.edited_in_portal:
        if (lesson.practice_text, lesson.practice_followup) == _practice(source):
            return "unchanged"
        lesson.practice_text, lesson.practice_followup = _practice(source)  # not in the fingerprint
        return "updated"
    else:
        outcome = "updated"
    lesson.module = module
    lesson.title, lesson.summary, lesson.minutes = source.title, source.summary, source.minutes
    lesson.reflection_prompt, lesson.position = source.reflection, source.order
    lesson.set_body(source.body)
    lesson.practice_text, lesson.practice_followup = _practice(source)
    lesson.source_hash, lesson.edited_in_portal = source.fingerprint, False
    _sync_questions(lesson, source.questions)
    db.session.flush()
    db.session.add(LessonRevision.snapshot(lesson, source="files"))
    return outcome


def _practice(source):
    """(text, followup) of a lesson file's practice; ("", "") for a file without one."""
    return (source.practice.text, source.practice.followup) if source.practice else ("", "")


def _sync_questions(lesson, sources):
    """Update questions in place by position, so answers to unchanged questions are kept."""
    existing = list(lesson.questions)
    for position, source in enumerate(sources):
        if position < len(existing):
            question = existing[position]
        else:
            question = Question(position=position)
            lesson.questions.append(question)
        if (question.prompt, question.choices, question.answer) != (source.prompt, source.choices, source.answer):
            if question.id is not None:  # a changed question: earlier answers no longer apply
                db.session.execute(sa.delete(QuizAnswer).where(QuizAnswer.question_id == question.id))
            question.prompt, question.choices, question.answer = source.prompt, list(source.choices), source.answer
        question.explanation = source.explanation
        question.feedback = list(source.feedback) if any(source.feedback) else None
    for extra in existing[len(sources) :]:
        lesson.questions.remove(extra)
