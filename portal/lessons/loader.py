"""`flask curriculum load`: upsert the curriculum files by slug, idempotently.

Learners' progress hangs off lesson ids, which never change here, so it survives reloads.
A lesson or module edited in the portal keeps those edits unless the load is forced.
"""

from collections import Counter

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons.content import TRANSLATED_LOCALES, ContentError, read_curriculum, read_translation
from portal.lessons.models import (
    Lesson,
    LessonRevision,
    LessonTranslation,
    Module,
    ModuleTranslation,
    Question,
    QuizAnswer,
    Status,
    source_hash,
)
from portal.lessons.tracks import read_tracks


def load_curriculum(root=None, force=False, translations=None):
    """Load every module and lesson under root, then their translations; returns a Counter of
    what happened to the English (`translations`, a Counter when given, receives the same for
    each language). The tracks file is checked first (portal/lessons/tracks.py): a track naming
    an unknown lesson stops the load."""
    report = Counter()
    translated = Counter() if translations is None else translations
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
    db.session.flush()
    for locale in TRANSLATED_LOCALES:
        _load_translations(sources, locale, root, modules, lessons, translated)
    db.session.commit()
    return report


def _load_translations(sources, locale, root, modules, lessons, report):
    """Upsert the translations of every module and lesson file (portal/content/<locale>/…);
    a translation whose file is gone is deleted, so readers see the English text instead."""
    existing = {
        (ModuleTranslation, row.module_id): row
        for row in db.session.scalars(sa.select(ModuleTranslation).filter_by(locale=locale))
    } | {
        (LessonTranslation, row.lesson_id): row
        for row in db.session.scalars(sa.select(LessonTranslation).filter_by(locale=locale))
    }
    seen = set()
    for source in sources:
        pairs = [(ModuleTranslation, modules[source.slug].id, source)]
        pairs += [(LessonTranslation, lessons[lesson.slug].id, lesson) for lesson in source.lessons]
        for model, owner_id, english in pairs:
            translation = read_translation(english, locale, root)
            if translation is None:
                continue
            seen.add((model, owner_id))
            row = existing.get((model, owner_id))
            row, outcome = _upsert_translation(model, row, owner_id, locale, translation)
            if model is LessonTranslation:
                outcome = _sync_practice(row, english, translation, outcome)
            report[f"translations {locale} {outcome}"] += 1
    for key, row in existing.items():
        if key not in seen:
            db.session.delete(row)
            report[f"translations {locale} removed"] += 1


def _upsert_translation(model, row, owner_id, locale, translation):
    """(the row, created | updated | unchanged) for one translated file."""
    text = translation.source
    if row is None:
        owner = {"module_id": owner_id} if model is ModuleTranslation else {"lesson_id": owner_id}
        row = model(locale=locale, **owner)
        db.session.add(row)
        outcome = "created"
    elif row.translation_of == translation.translation_of and _same_text(row, text):
        return row, "unchanged"
    else:
        outcome = "updated"
    row.title, row.summary, row.translation_of = text.title, text.summary, translation.translation_of
    if model is ModuleTranslation:
        row.set_intro(text.intro)
    else:
        row.reflection_prompt = text.reflection
        row.set_body(text.body)
        row.questions = _question_rows(text)
    return row, outcome


def _sync_practice(row, english, translation, outcome):
    """Store the translated practice; when it changed, note which English practice it now
    translates (practices are outside the fingerprint: portal/lessons/translations.py)."""
    text = translation.source.practice.text if translation.source.practice else ""
    if row.practice_text == text and row.practice_of:
        return outcome
    row.practice_text, row.practice_of = text, practice_fingerprint(english)
    return "updated" if outcome == "unchanged" else outcome


def practice_fingerprint(english):
    """The fingerprint of an English lesson's practice ("" without one)."""
    return source_hash(english.practice.text, english.practice.followup) if english.practice else ""


def _same_text(row, text):
    if isinstance(row, ModuleTranslation):
        return (row.title, row.summary, row.intro_md) == (text.title, text.summary, text.intro)
    return (row.title, row.summary, row.reflection_prompt, row.body_md, row.questions) == (
        text.title,
        text.summary,
        text.reflection,
        text.body,
        _question_rows(text),
    )


def _question_rows(text):
    """A translated lesson's questions as stored: matched to the English ones by position."""
    return [
        {"prompt": q.prompt, "choices": list(q.choices), "explanation": q.explanation, "feedback": list(q.feedback)}
        for q in text.questions
    ]


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
