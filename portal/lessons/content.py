"""Reading the curriculum files in portal/content/ (Markdown with YAML front matter)."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter

from portal.lessons.models import source_hash

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


class ContentError(ValueError):
    """A curriculum file is missing something it needs."""


@dataclass
class QuestionSource:
    prompt: str
    choices: list
    answer: int
    explanation: str
    feedback: list = field(default_factory=list)  # one text per choice; "" where none was written
    scenario: bool = False  # the prompt puts the reader in a situation ("Your son comes home late…")


@dataclass(frozen=True)
class PracticeSource:
    """A lesson's "Try this week": one small, safe thing to do, and the lesson to offer if it went badly."""

    text: str
    followup: str = ""  # the slug of another lesson; "" when none is named


@dataclass
class LessonSource:
    path: Path
    slug: str
    title: str
    order: int
    minutes: int
    summary: str
    reflection: str
    body: str
    questions: list = field(default_factory=list)
    practice: PracticeSource | None = None

    @property
    def fingerprint(self):
        parts = [self.title, self.order, self.minutes, self.summary, self.reflection, self.body]
        for q in self.questions:
            parts += [q.prompt, *q.choices, q.answer, q.explanation]
            if any(q.feedback) or q.scenario:  # files in the older format keep their fingerprint
                parts += [*q.feedback, q.scenario]
        # The practice is not part of the fingerprint: translations name the fingerprint of the
        # English text they translate (`translation_of`), and adding a practice to every lesson
        # must not make them all out of date. The loader compares the practice on its own.
        return source_hash(*parts)


@dataclass
class ModuleSource:
    path: Path
    slug: str
    title: str
    order: int
    summary: str
    intro: str
    lessons: list = field(default_factory=list)

    @property
    def fingerprint(self):
        return source_hash(self.title, self.order, self.summary, self.intro)


def _require(meta, key, path):
    value = meta.get(key)
    if value in (None, ""):
        raise ContentError(f"{path}: front matter needs '{key}'")
    return value


def _choice(raw, path):
    """A choice is a plain string (older files) or {text, feedback}; returns (text, feedback)."""
    if isinstance(raw, dict):
        if raw.get("text") in (None, ""):
            raise ContentError(f"{path}: a choice needs 'text'")
        return str(raw["text"]), str(raw.get("feedback") or "")
    return str(raw), ""


def _question(raw, path):
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: each question needs 'prompt', 'choices' and 'answer'")
    pairs = [_choice(c, path) for c in raw.get("choices") or []]
    choices, feedback = [text for text, _ in pairs], [text for _, text in pairs]
    answer = raw.get("answer")
    if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(choices):
        raise ContentError(f"{path}: question {raw.get('prompt')!r} has no valid answer index")
    return QuestionSource(
        str(raw.get("prompt", "")),
        choices,
        answer,
        str(raw.get("explanation") or ""),
        feedback,
        raw.get("scenario") is True,
    )


PRACTICE_MAX = 500  # characters of a practice's text (the column's size)
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _practice(raw, path):
    """`practice:` is a string (the text) or {text, followup}; missing → None (older files)."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: 'practice' is a text or a mapping with 'text' and 'followup'")
    text = " ".join(str(raw.get("text") or "").split())
    if not text:
        raise ContentError(f"{path}: a practice needs 'text'")
    if len(text) > PRACTICE_MAX:
        raise ContentError(f"{path}: a practice's text is at most {PRACTICE_MAX} characters")
    followup = str(raw.get("followup") or "").strip()
    if followup and not SLUG_PATTERN.match(followup):
        raise ContentError(f"{path}: practice followup {followup!r} is not a lesson slug")
    return PracticeSource(text, followup)


def read_lesson(path):
    return _lesson(frontmatter.load(path), path)


def _lesson(post, path):
    meta = post.metadata
    return LessonSource(
        path=path,
        slug=str(_require(meta, "slug", path)),
        title=str(_require(meta, "title", path)),
        order=int(meta.get("order", 0)),
        minutes=int(meta.get("minutes", 5)),
        summary=str(meta.get("summary", "")),
        reflection=str(meta.get("reflection", "")),
        body=post.content.strip() + "\n",
        questions=[_question(q, path) for q in meta.get("questions") or []],
        practice=_practice(meta.get("practice"), path),
    )


def read_module(folder):
    module = _module(frontmatter.load(folder / "_module.md"), folder)
    lessons = [read_lesson(p) for p in sorted(folder.glob("*.md")) if p.name != "_module.md"]
    module.lessons = sorted(lessons, key=lambda lesson: (lesson.order, lesson.path.name))
    return module


def _module(post, folder):
    meta = post.metadata
    return ModuleSource(
        path=folder,
        slug=str(_require(meta, "slug", folder)),
        title=str(_require(meta, "title", folder)),
        order=int(meta.get("order", 0)),
        summary=str(meta.get("summary", "")),
        intro=post.content.strip(),
    )


def read_curriculum(root=None):
    """Every module folder (one with a _module.md) under root, in order."""
    root = Path(root or CONTENT_DIR)
    modules = [read_module(p) for p in sorted(root.iterdir()) if (p / "_module.md").is_file()]
    return sorted(modules, key=lambda m: (m.order, m.path.name))


# --- translations: portal/content/<locale>/<module folder>/<same file name>.md -----------------

#: The languages the curriculum is translated into (each a folder under portal/content/).
TRANSLATED_LOCALES = ("es",)


@dataclass
class TranslationSource:
    """One translated file: its text (read like the English file) and the fingerprint of the
    English source it translates (`translation_of`)."""

    locale: str
    path: Path
    source: object  # a LessonSource, or a ModuleSource without lessons
    translation_of: str


def translation_path(english, locale, root=None):
    """Where the translation of an English lesson file or module folder lives."""
    root = Path(root or CONTENT_DIR)
    english = Path(english)
    if english.is_dir():
        return root / locale / english.name / "_module.md"
    return root / locale / english.parent.name / english.name


def _translation_of(post, path):
    value = post.metadata.get("translation_of")
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{path}: front matter needs 'translation_of' (the English source's fingerprint)")
    return value.strip()


def read_translation(english, locale, root=None):
    """The translation of an English LessonSource or ModuleSource, or None when there is no file."""
    path = translation_path(english.path, locale, root)
    if not path.is_file():
        return None
    post = frontmatter.load(path)
    text = _module(post, path.parent) if isinstance(english, ModuleSource) else _lesson(post, path)
    return TranslationSource(locale, path, text, _translation_of(post, path))


def translation_state(english, translation):
    """translated | stale | missing: is there a translation of the current English text?"""
    if translation is None:
        return "missing"
    return "translated" if translation.translation_of == english.fingerprint else "stale"


def translation_report(locale, root=None):
    """[(English path relative to root, state)] for every module and lesson file of the curriculum."""
    root = Path(root or CONTENT_DIR)
    report = []
    for module in read_curriculum(root):
        for english in (module, *module.lessons):
            path = english.path / "_module.md" if english is module else english.path
            state = translation_state(english, read_translation(english, locale, root))
            report.append((str(path.relative_to(root)), state))
    return report
