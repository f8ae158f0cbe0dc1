"""Tracks by family role: a recommended, ordered path of existing lessons for each role.

The paths live in portal/content/tracks.yaml (docs/curriculum.md, "Tracks by family role").
They are read from the file, not stored: a track only orders lessons that the curriculum
already has, and every lesson stays open to everyone whatever their role.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
import yaml

from portal.auth.family_roles import FAMILY_ROLES
from portal.extensions import db
from portal.lessons import translations
from portal.lessons.content import CONTENT_DIR, ContentError, read_curriculum
from portal.lessons.models import Lesson, Status
from portal.lessons.overview import LessonState, PathProgress, _progress_by_lesson, _state

MIN_LESSONS, MAX_LESSONS = 10, 16
TRACKS_FILE = "tracks.yaml"


@dataclass(frozen=True)
class TrackSource:
    role: str
    title: str
    intro: str
    lessons: tuple


def read_tracks(root=None, known_slugs=None):
    """The tracks in root/tracks.yaml, checked: one per family role, 10–16 known lesson slugs
    each, none twice. known_slugs defaults to the lessons of the curriculum files in root."""
    root = Path(root or CONTENT_DIR)
    path = root / TRACKS_FILE
    if not path.is_file():
        return []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML ({error})") from error
    if known_slugs is None:
        known_slugs = {lesson.slug for module in read_curriculum(root) for lesson in module.lessons}
    tracks = [_track(entry, path, set(known_slugs)) for entry in raw.get("tracks") or []]
    roles = [track.role for track in tracks]
    if sorted(roles) != sorted(FAMILY_ROLES):
        raise ContentError(f"{path}: needs exactly one track for each role {sorted(FAMILY_ROLES)}, has {roles}")
    return tracks


def _track(entry, path, known_slugs):
    if not isinstance(entry, dict):
        raise ContentError(f"{path}: each track is a mapping with role, title, intro and lessons")
    role = str(entry.get("role") or "")
    if role not in FAMILY_ROLES:
        raise ContentError(f"{path}: unknown role {role!r}")
    title, intro = str(entry.get("title") or "").strip(), str(entry.get("intro") or "").strip()
    if not title or not intro:
        raise ContentError(f"{path}: track {role} needs a title and an intro")
    slugs = [str(slug) for slug in entry.get("lessons") or []]
    unknown = [slug for slug in slugs if slug not in known_slugs]
    if unknown:
        raise ContentError(f"{path}: track {role} names unknown lessons: {', '.join(unknown)}")
    if len(set(slugs)) != len(slugs):
        raise ContentError(f"{path}: track {role} lists a lesson twice")
    if not MIN_LESSONS <= len(slugs) <= MAX_LESSONS:
        raise ContentError(f"{path}: track {role} has {len(slugs)} lessons (needs {MIN_LESSONS}–{MAX_LESSONS})")
    return TrackSource(role, title, intro, tuple(slugs))


def read_translated_tracks(locale, root=None):
    """{role: (title, intro)} from root/<locale>/tracks.yaml ({} without the file). Lesson lists
    there are optional and ignored: a path is the same lessons in every language."""
    path = Path(root or CONTENT_DIR) / locale / TRACKS_FILE
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML ({error})") from error
    found = {}
    for entry in raw.get("tracks") or []:
        role = str(entry.get("role") or "") if isinstance(entry, dict) else ""
        if role not in FAMILY_ROLES:
            raise ContentError(f"{path}: unknown role {role!r}")
        title, intro = str(entry.get("title") or "").strip(), str(entry.get("intro") or "").strip()
        if not title or not intro:
            raise ContentError(f"{path}: track {role} needs a title and an intro")
        found[role] = (title, intro)
    return found


@lru_cache(maxsize=4)
def _cached_tracks(root):
    return {track.role: track for track in read_tracks(root)}


@lru_cache(maxsize=8)
def _cached_translated_tracks(root, locale):
    return read_translated_tracks(locale, root)


def track_for(role, root=None):
    """The TrackSource for a role, or None (unknown role or no tracks file)."""
    return _cached_tracks(str(root or CONTENT_DIR)).get(role)


def all_tracks(root=None):
    """(role, title) of every track, in the order of the file, in the reader's language where translated."""
    root = str(root or CONTENT_DIR)
    locale = translations.reader_locale()
    translated = _cached_translated_tracks(root, locale) if locale else {}
    return [(track.role, translated.get(track.role, (track.title,))[0]) for track in _cached_tracks(root).values()]


@dataclass
class TrackOverview(PathProgress):
    role: str
    title: str
    intro: str
    lessons: list = field(default_factory=list)
    lang: str | None = None  # "en" when the title and intro are shown untranslated

    @property
    def next_lesson(self):
        """The first lesson on the path not yet complete (None when the path is done)."""
        return next((lesson for lesson in self.lessons if lesson.state != "complete"), None)


def track_overview(user_id, role, root=None):
    """The role's path in order, published lessons only, with each lesson's state for the user
    (two SELECTs, however long the path). None for an unknown role."""
    track = track_for(role, root)
    if track is None:
        return None
    rows = db.session.execute(
        sa.select(Lesson.id, Lesson.slug, Lesson.title, Lesson.summary, Lesson.minutes).where(
            Lesson.slug.in_(track.lessons), Lesson.status == Status.PUBLISHED.value
        )
    ).all()
    by_slug = {row.slug: row for row in rows}
    progress = _progress_by_lesson(user_id, [row.id for row in rows]) if user_id and rows else {}
    overview = TrackOverview(track.role, track.title, track.intro)
    locale = translations.reader_locale()
    if locale:
        translated = _cached_translated_tracks(str(root or CONTENT_DIR), locale).get(track.role)
        if translated:
            overview.title, overview.intro = translated
        else:
            overview.lang = "en"
    for slug in track.lessons:
        row = by_slug.get(slug)
        if row is None:
            continue  # a lesson unpublished in the portal drops out of the path
        seen = progress.get(row.id)
        overview.lessons.append(
            LessonState(
                row.id, row.slug, row.title, row.summary, row.minutes, _state(seen), seen.last_seen_at if seen else None
            )
        )
    if locale and overview.lessons:
        translations.localize_listing([], overview.lessons, locale)
    return overview
