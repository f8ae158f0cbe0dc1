"""Read models for the catalogue, module pages and dashboard, in a fixed number of queries.

Each function issues the same few SELECTs however many modules, lessons or progress rows
exist (tests/lessons/test_query_counts.py holds us to it).
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons import translations
from portal.lessons.models import Certificate, Lesson, LessonProgress, Module, Status


@dataclass
class LessonState:
    id: int
    slug: str
    title: str
    summary: str
    minutes: int
    state: str  # not_started | in_progress | complete
    last_seen_at: object = None
    lang: str | None = None  # "en" when shown in English on a page in another language


class PathProgress:
    """Figures of a list of LessonState (a module's lessons, or a track's path)."""

    @property
    def total(self):
        return len(self.lessons)

    @property
    def completed(self):
        return sum(1 for lesson in self.lessons if lesson.state == "complete")

    @property
    def percent(self):
        return round(100 * self.completed / self.total) if self.total else 0


@dataclass
class ModuleOverview(PathProgress):
    id: int
    slug: str
    title: str
    summary: str
    intro_html: str = ""
    lessons: list = field(default_factory=list)
    certificate: object = None
    lang: str | None = None  # "en" when shown in English on a page in another language
    note: str | None = None  # why, in the reader's language

    @property
    def next_lesson(self):
        """The first lesson not yet complete (or the first lesson when all are done)."""
        for lesson in self.lessons:
            if lesson.state != "complete":
                return lesson
        return self.lessons[0] if self.lessons else None


def _progress_by_lesson(user_id, lesson_ids=None):
    query = sa.select(LessonProgress.lesson_id, LessonProgress.completed_at, LessonProgress.last_seen_at).where(
        LessonProgress.user_id == user_id
    )
    if lesson_ids is not None:
        query = query.where(LessonProgress.lesson_id.in_(lesson_ids))
    return {row.lesson_id: row for row in db.session.execute(query)}


def _state(progress):
    if progress is None:
        return "not_started"
    return "complete" if progress.completed_at is not None else "in_progress"


def _lesson_rows(module_ids):
    return db.session.execute(
        sa.select(Lesson.id, Lesson.module_id, Lesson.slug, Lesson.title, Lesson.summary, Lesson.minutes)
        .where(Lesson.module_id.in_(module_ids), Lesson.status == Status.PUBLISHED)
        .order_by(Lesson.position, Lesson.id)
    ).all()


def overview(user_id, module_slug=None):
    """Published modules (or the one with module_slug) with each lesson's state for the user."""
    query = sa.select(Module).where(Module.status == Status.PUBLISHED).order_by(Module.position, Module.id)
    if module_slug is not None:
        query = query.where(Module.slug == module_slug)
    modules = {m.id: ModuleOverview(m.id, m.slug, m.title, m.summary, m.intro_html) for m in db.session.scalars(query)}
    if not modules:
        return []
    rows = _lesson_rows(list(modules))
    progress = _progress_by_lesson(user_id) if user_id else {}
    for row in rows:
        seen = progress.get(row.id)
        modules[row.module_id].lessons.append(
            LessonState(
                row.id, row.slug, row.title, row.summary, row.minutes, _state(seen), seen.last_seen_at if seen else None
            )
        )
    if user_id:
        certificates = db.session.scalars(
            sa.select(Certificate).where(Certificate.user_id == user_id, Certificate.module_id.in_(list(modules)))
        )
        for certificate in certificates:
            modules[certificate.module_id].certificate = certificate
    shown = [m for m in modules.values() if m.lessons]
    locale = translations.reader_locale()
    if locale and shown:
        translations.localize_listing(shown, [lesson for m in shown for lesson in m.lessons], locale)
    return shown


def continue_where_left_off(user_id):
    """(module, lesson) to pick up next: the lesson last opened and not finished, else the next new one."""
    modules = overview(user_id)
    open_lessons = [(m, lesson) for m in modules for lesson in m.lessons if lesson.state == "in_progress"]
    if open_lessons:
        return max(open_lessons, key=lambda pair: pair[1].last_seen_at)
    for module in modules:
        for lesson in module.lessons:
            if lesson.state == "not_started":
                return module, lesson
    return None
