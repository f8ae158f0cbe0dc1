"""The curriculum in the reader's language (docs/curriculum.md, "Translations").

A translation is shown only while it translates the English text the portal has now: its
`translation_of` equals the lesson's (or module's) fingerprint and nobody edited the English in
the portal since. Otherwise the reader gets the current English text, marked lang="en", with a
short note in their language: never a silently stale translation. Progress, answers,
reflections and certificates belong to the lesson, whatever language it was read in; questions
are matched by position, with the same answer indexes.
"""

import sqlalchemy as sa
from flask_babel import get_locale

from portal.extensions import db
from portal.lessons.content import TRANSLATED_LOCALES
from portal.lessons.models import Lesson, LessonTranslation, Module, ModuleTranslation, Question, source_hash

TRANSLATED, STALE, MISSING = "translated", "stale", "missing"

#: Notes shown above English text on a translated page (text of the translation, like the lessons).
NOTES = {
    "es": {
        STALE: "Esta lección cambió en inglés y estamos actualizando la traducción. "
        "Mientras tanto, le mostramos el texto actual en inglés.",
        MISSING: "Esta lección todavía no está traducida al español. Mientras tanto, le mostramos el texto en inglés.",
        "module " + STALE: "Este módulo cambió en inglés y estamos actualizando la traducción. "
        "Mientras tanto, le mostramos el texto actual en inglés.",
        "module " + MISSING: "Este módulo todavía no está traducido al español. "
        "Mientras tanto, le mostramos el texto en inglés.",
    }
}


def reader_locale():
    """The reader's language when the curriculum is translated into it, else None (English)."""
    try:
        locale = get_locale()
    except (RuntimeError, AttributeError):
        return None
    language = getattr(locale, "language", None)
    return language if language in TRANSLATED_LOCALES else None


class Localized:
    """A row seen through its translation: translated attributes first, the row's own otherwise.

    `lang` is set when the text shown is not in the page's language (the English fallback)."""

    def __init__(self, row, lang=None, note=None, **text):
        self._row, self.lang, self.note = row, lang, note
        self.__dict__.update(text)

    def __getattr__(self, name):
        return getattr(self._row, name)


class LocalizedQuestion(Localized):
    def feedback_for(self, choice):
        return Question.feedback_for(self, choice)


def _state(translation, fingerprint, edited_in_portal):
    if translation is None:
        return MISSING
    current = translation.translation_of == fingerprint and not edited_in_portal
    return TRANSLATED if current else STALE


def lesson_translations(lesson_ids, locale):
    """{lesson id: (state, the LessonTranslation or None)} for these lessons, in one SELECT."""
    rows = db.session.execute(
        sa.select(Lesson.id, Lesson.source_hash, Lesson.edited_in_portal, LessonTranslation)
        .outerjoin(LessonTranslation, (LessonTranslation.lesson_id == Lesson.id) & (LessonTranslation.locale == locale))
        .where(Lesson.id.in_(list(lesson_ids)))
    ).all()
    return {row[0]: (_state(row[3], row[1], row[2]), row[3]) for row in rows}


def module_translations(module_ids, locale):
    """{module id: (state, the ModuleTranslation or None)}, in one SELECT."""
    rows = db.session.execute(
        sa.select(Module.id, Module.source_hash, Module.edited_in_portal, ModuleTranslation)
        .outerjoin(ModuleTranslation, (ModuleTranslation.module_id == Module.id) & (ModuleTranslation.locale == locale))
        .where(Module.id.in_(list(module_ids)))
    ).all()
    return {row[0]: (_state(row[3], row[1], row[2]), row[3]) for row in rows}


def current_text(found, key):
    """The current translation for key in a lesson_/module_translations answer, or None."""
    state, translation = found.get(key, (MISSING, None))
    return translation if state == TRANSLATED else None


# --- the lesson page ----------------------------------------------------------------------------


def localize_lesson(lesson, locale, questions=None):
    """(the lesson as the reader sees it, [(question, answer)] likewise) for a non-English locale."""
    found = lesson_translations([lesson.id], locale)
    state, translation = found.get(lesson.id, (MISSING, None))
    module = localize_module_ref(lesson.module, locale)
    if state != TRANSLATED:
        shown = Localized(lesson, lang="en", note=NOTES[locale][state], module=module, practice_lang="en")
        pairs = [(Localized(q, lang="en"), given) for q, given in questions or []]
        return shown, pairs
    practice = practice_text(lesson, translation)
    shown = Localized(
        lesson,
        title=translation.title,
        summary=translation.summary,
        body_html=translation.body_html,
        reflection_prompt=translation.reflection_prompt,
        module=module,
        practice_text=practice or lesson.practice_text,
        practice_lang=None if practice else "en",
    )
    texts = translation.questions or []
    pairs = [(localize_question(q, texts), given) for q, given in questions or []]
    return shown, pairs


def english_practice_fingerprint(lesson):
    """The fingerprint of the lesson's current English practice, as the loader records it."""
    if not lesson.practice_text:
        return ""
    return source_hash(lesson.practice_text, lesson.practice_followup)


def practice_text(lesson, translation):
    """The translated practice while it translates the English practice the lesson has now, else ""."""
    if not translation.practice_text or translation.practice_of != english_practice_fingerprint(lesson):
        return ""
    return translation.practice_text


def localize_question(question, texts):
    """The question in the translation's words (matched by position; answers stay the same)."""
    text = texts[question.position] if 0 <= question.position < len(texts) else None
    if not text or len(text.get("choices") or []) != len(question.choices):
        return LocalizedQuestion(question, lang="en")
    feedback = text.get("feedback") or []
    return LocalizedQuestion(
        question,
        prompt=text.get("prompt") or question.prompt,
        choices=list(text["choices"]),
        explanation=text.get("explanation") or "",
        feedback=feedback if any(feedback) else None,
    )


def question_text(question, locale):
    """One question as the reader sees it (the knowledge-check answer reply)."""
    state, translation = lesson_translations([question.lesson_id], locale).get(question.lesson_id, (MISSING, None))
    if state != TRANSLATED:
        return LocalizedQuestion(question, lang="en")
    return localize_question(question, translation.questions or [])


def localize_module_ref(module, locale):
    """A module's title (and intro) in the reader's language, or marked English."""
    found = module_translations([module.id], locale)
    state, translation = found.get(module.id, (MISSING, None))
    if state != TRANSLATED:
        return Localized(module, lang="en", note=NOTES[locale]["module " + state])
    return Localized(module, title=translation.title, summary=translation.summary, intro_html=translation.intro_html)


def localize_links(links, locale):
    """LessonLinks (previous, next) with translated titles where current; None stays None."""
    slugs = [link.slug for link in links if link is not None]
    if not slugs:
        return links
    ids = {
        row.slug: row.id for row in db.session.execute(sa.select(Lesson.slug, Lesson.id).where(Lesson.slug.in_(slugs)))
    }
    found = lesson_translations(ids.values(), locale)
    result = []
    for link in links:
        translation = current_text(found, ids.get(link.slug)) if link else None
        result.append(link._replace(title=translation.title) if translation else link)
    return result


# --- listings: the Learn page, module pages, tracks, the dashboard -------------------------------


def localize_listing(modules, lessons, locale):
    """Put translated titles and summaries on overview rows (objects with id, title, summary);
    rows without a current translation get lang="en". Two SELECTs however many rows."""
    module_found = module_translations([m.id for m in modules], locale) if modules else {}
    for module in modules:
        state, translation = module_found.get(module.id, (MISSING, None))
        if state == TRANSLATED:
            module.title, module.summary = translation.title, translation.summary
            module.intro_html = translation.intro_html
        else:
            module.lang, module.note = "en", NOTES[locale]["module " + state]
    lesson_found = lesson_translations([lesson.id for lesson in lessons], locale) if lessons else {}
    for lesson in lessons:
        translation = current_text(lesson_found, lesson.id)
        if translation:
            lesson.title, lesson.summary = translation.title, translation.summary
        else:
            lesson.lang = "en"


def module_titles(module_ids, locale):
    """{module id: current translated title}."""
    found = module_translations(module_ids, locale)
    return {key: translation.title for key in found if (translation := current_text(found, key))}


def localize_certificates(certificates, locale):
    """Certificates showing their module's current translated title (the record is unchanged)."""
    if locale is None or not certificates:
        return certificates
    titles = module_titles({c.module_id for c in certificates}, locale)
    return [Localized(c, module_title=titles[c.module_id]) if c.module_id in titles else c for c in certificates]


def localize_reflections(reflections, locale):
    """Reflections (the same records in every language) showing their lesson's and module's
    current translated title and prompt; two SELECTs however many there are."""
    if locale is None or not reflections:
        return reflections
    lessons = lesson_translations({r.lesson_id for r in reflections}, locale)
    modules = module_translations({r.lesson.module_id for r in reflections}, locale)
    shown = []
    for reflection in reflections:
        lesson, text = reflection.lesson, current_text(lessons, reflection.lesson_id)
        module_text = current_text(modules, lesson.module_id)
        module = Localized(lesson.module, title=module_text.title) if module_text else lesson.module
        if text:
            lesson = Localized(lesson, title=text.title, reflection_prompt=text.reflection_prompt, module=module)
        else:
            lesson = Localized(lesson, lang="en", module=module)
        shown.append(Localized(reflection, lesson=lesson))
    return shown
