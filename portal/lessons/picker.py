"""The lesson picker: what a counselor chooses from wherever they link lessons (session pre-work,
assignments). Published modules and lessons, grouped by module; a whole module is its own choice
("module:<slug>"), so a module is never mistaken for a lesson. Slugs are never typed.

Without JavaScript the picker is a grouped <select multiple>; static/js/lesson_picker.js adds a
search by title and preview links.
"""

import re
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager
from wtforms import SelectChoice, SelectMultipleField, ValidationError

from portal.extensions import db
from portal.lessons import worksheets as worksheet_data
from portal.lessons.models import Lesson, Module, Status
from portal.lessons.services import published_lessons_query

MODULE_PREFIX = "module:"
WORKSHEET_PREFIX = "worksheet:"
VALUE = re.compile(r"^(module:|worksheet:)?[a-z0-9][a-z0-9-]{0,79}$")
MAX_CHOSEN = 10


@dataclass(frozen=True)
class Pick:
    """One chosen item: a lesson, or a whole module."""

    value: str  # the lesson's slug, "module:<slug>" or "worksheet:<slug>"
    kind: str  # "lesson", "module" or "worksheet"
    title: str
    module_title: str

    @property
    def slug(self):
        return self.value.split(":", 1)[-1]

    @property
    def endpoint(self):
        return {"lesson": "lessons.lesson", "module": "lessons.module", "worksheet": "lessons.worksheet"}[self.kind]

    @property
    def url(self):
        """Where to read it (the preview link): built when asked, so services need no request."""
        return url_for(self.endpoint, slug=self.slug)


def _published_modules():
    lessons = db.session.scalars(
        published_lessons_query()
        .options(contains_eager(Lesson.module))
        .order_by(Module.position, Module.id, Lesson.position, Lesson.id)
    ).all()
    modules: dict[int, tuple[Module, list[Lesson]]] = {}
    for lesson in lessons:
        modules.setdefault(lesson.module_id, (lesson.module, []))[1].append(lesson)
    return list(modules.values())


def catalogue(worksheets=False):
    """{value: Pick} for every published module (as a whole) and lesson, in curriculum order;
    with `worksheets`, every worksheet too (in their own group)."""
    out = {}
    for module, lessons in _published_modules():
        value = MODULE_PREFIX + module.slug
        out[value] = Pick(value, "module", module.title, module.title)
        for lesson in lessons:
            out[lesson.slug] = Pick(lesson.slug, "lesson", lesson.title, module.title)
    if worksheets:
        group = _l("Worksheets")
        for sheet in worksheet_data.WORKSHEETS:
            value = WORKSHEET_PREFIX + sheet.slug
            out[value] = Pick(value, "worksheet", sheet.title, group)
    return out


def grouped_choices(worksheets=False):
    """Choices for a WTForms select, each in its module's <optgroup>; a whole module comes first."""
    return [
        SelectChoice(
            pick.value,
            _("The whole module: %(title)s", title=pick.title) if pick.kind == "module" else pick.title,
            optgroup=str(pick.module_title),
            render_kw={"data-preview": pick.url, "data-kind": pick.kind},
        )
        for pick in catalogue(worksheets).values()
    ]


def split_values(raw):
    """The posted values as a clean list: each value, and comma-separated lists within one."""
    values = []
    for item in raw or []:
        for part in str(item).split(","):
            part = part.strip()
            if part and part not in values:
                values.append(part)
    return values


def check(values, worksheets=False):
    """(error message or None) for chosen values: malformed, too many, or not in the curriculum."""
    if len(values) > MAX_CHOSEN or not all(VALUE.match(v) for v in values):
        return _("Use up to 10 lesson addresses of lowercase letters, digits and dashes.")
    known = catalogue(worksheets)
    unknown = [v for v in values if v not in known]
    if unknown:
        return _(
            "“%(value)s” is not a published lesson or module. Choose lessons from the list.",
            value=unknown[0].removeprefix(MODULE_PREFIX),
        )
    return None


def picks(values):
    """The Picks for stored values, unknown ones left out (a lesson may be unpublished later)."""
    known = catalogue(worksheets=True)
    return [known[v] for v in values or [] if v in known]


def module_lessons_of(value):
    """The published lessons a "module:<slug>" value stands for ([] for a lesson value)."""
    if not isinstance(value, str) or not value.startswith(MODULE_PREFIX):
        return []
    slug = value.removeprefix(MODULE_PREFIX)
    return list(
        db.session.scalars(
            published_lessons_query()
            .where(Module.slug == slug, Module.status == Status.PUBLISHED)
            .order_by(Lesson.position, Lesson.id)
        )
    )


def lesson_ids_for(values):
    """Every published lesson id that chosen values cover (modules expanded), in order, once."""
    ids = []
    for value in values or []:
        if value.startswith(MODULE_PREFIX):
            found = [lesson.id for lesson in module_lessons_of(value)]
        else:
            lesson = db.session.scalar(published_lessons_query().where(Lesson.slug == value))
            found = [lesson.id] if lesson else []
        ids.extend(i for i in found if i not in ids)
    return ids


class LessonPickerField(SelectMultipleField):
    """A grouped <select multiple> of published lessons and whole modules (see the module doc).

    Posted values are checked against the curriculum (an unknown slug is a field error, never
    stored); comma-separated values in one field are accepted as separate choices."""

    def __init__(self, label=None, validators=None, worksheets=False, **kwargs):
        kwargs.setdefault("render_kw", {"data-lesson-picker": "", "size": "10"})
        self.worksheets = worksheets
        super().__init__(
            label, validators, choices=lambda: grouped_choices(worksheets), validate_choice=False, **kwargs
        )

    def process_formdata(self, valuelist):
        self.data = split_values(valuelist)

    def process_data(self, value):
        self.data = split_values(value if isinstance(value, list | tuple) else [value] if value else [])

    def pre_validate(self, form):
        error = check(self.data or [], self.worksheets)
        if error:
            raise ValidationError(error)
