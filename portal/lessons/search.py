"""Ranked search over published lessons: SQLite FTS5 or PostgreSQL full text.

The query is reduced to plain word tokens first, so FTS syntax (quotes, *, NEAR(, column
filters) and SQL fragments are just words; values are always bound parameters. Snippets come
back with private-use marker characters around hits; `highlight` escapes the text and only
then turns the markers into <mark>.
"""

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup, escape

from portal.extensions import db
from portal.lessons import translations
from portal.lessons.models import MARK_END, MARK_START, Status, pg_plain, pg_search_document

TOKEN = re.compile(r"\w+", re.UNICODE)
MAX_TOKENS = 8
LIMIT = 20


@dataclass
class Hit:
    slug: str
    title: str
    module_title: str
    snippet: Markup
    lang: str | None = None  # "en" for an English lesson found on a page in another language


def tokens(query):
    words = [t.lower() for t in TOKEN.findall(query or "")]
    return [w.replace("_", "") for w in words if w.replace("_", "")][:MAX_TOKENS]


def highlight(snippet):
    """Escape the snippet, then wrap the marked hits in <mark>."""
    safe = str(escape(snippet or ""))
    return Markup(safe.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S704 (escaped above)


def search_lessons(query, locale=None):
    """Ranked hits for the query. With a translated locale (e.g. "es"), lessons whose translation
    is current are searched in that language; the others are searched in English (lang="en")."""
    words = tokens(query)
    if not words:
        return []
    postgres = db.engine.dialect.name == "postgresql"
    rows = _postgres(words) if postgres else _sqlite(words)
    if locale is None:
        return [Hit(r.slug, r.title, r.module_title, highlight(r.snippet)) for r in rows]
    translated = _postgres_translated(words, locale) if postgres else _sqlite_translated(words, locale)
    found = translations.lesson_translations([r.id for r in rows], locale) if rows else {}
    english = [r for r in rows if translations.current_text(found, r.id) is None]
    hits = [Hit(r.slug, r.title, r.module_title, highlight(r.snippet)) for r in translated]
    hits += [Hit(r.slug, r.title, r.module_title, highlight(r.snippet), lang="en") for r in english]
    return hits[:LIMIT]


# --- translated lessons (Spanish: stemming and accent-insensitive matching) ----------------------

_ACCENTED, _PLAIN = "áéíóúüñàèìòùâêîôûç", "aeiouunaeiouaeiouc"
SPANISH_ENDINGS = sorted(
    [
        "amientos",
        "imientos",
        "amiento",
        "imiento",
        "aciones",
        "uciones",
        "adoras",
        "adores",
        "ancias",
        "idades",
        "mente",
        "acion",
        "ucion",
        "adora",
        "ador",
        "ancia",
        "idad",
        "ibles",
        "ables",
        "able",
        "ible",
        "istas",
        "ista",
        "osos",
        "osas",
        "oso",
        "osa",
        "ivas",
        "ivos",
        "iva",
        "ivo",
        "es",
        "as",
        "os",
        "a",
        "o",
        "e",
        "s",
    ],
    key=len,
    reverse=True,
)
MIN_STEM = 4


def fold(word):
    """The word without accents or tildes (recaída → recaida), as the translated index stores it."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def spanish_stem(word):
    """A light Spanish stem for prefix matching (recaídas → recaid, límites → limit)."""
    word = fold(word)
    for ending in SPANISH_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


_TRANSLATED_PUBLISHED = (
    "t.locale = :locale AND t.translation_of = l.source_hash AND l.edited_in_portal = :no AND "
    "l.status = :published AND m.status = :published"
)
_MODULE_TITLE = (
    "LEFT JOIN module_translations mt ON mt.module_id = m.id AND mt.locale = :locale "
    "AND mt.translation_of = m.source_hash AND m.edited_in_portal = :no "
)


def _translated_params(locale):
    return {"locale": locale, "no": False, "published": Status.PUBLISHED.value, "limit": LIMIT}


def _sqlite_translated(words, locale):
    match = " ".join(f'"{spanish_stem(w)}"*' for w in words)
    sql = sa.text(
        "SELECT l.id, l.slug, t.title, coalesce(mt.title, m.title) AS module_title, "  # noqa: S608 (constants only)
        f"snippet(lessons_fts_translations, 2, '{MARK_START}', '{MARK_END}', '…', 24) AS snippet "
        "FROM lessons_fts_translations JOIN lesson_translations t ON t.id = lessons_fts_translations.rowid "
        "JOIN lessons l ON l.id = t.lesson_id JOIN lesson_modules m ON m.id = l.module_id "
        f"{_MODULE_TITLE}"
        f"WHERE lessons_fts_translations MATCH :match AND {_TRANSLATED_PUBLISHED} "
        "ORDER BY bm25(lessons_fts_translations, 10.0, 4.0, 1.0) LIMIT :limit"
    )
    return db.session.execute(sql, {"match": match, **_translated_params(locale)}).all()


def _pg_folded(column):
    return f"translate(lower({pg_plain(column)}), '{_ACCENTED}', '{_PLAIN}')"


def _pg_translated_document(config):
    return (
        f"setweight(to_tsvector('{config}', {_pg_folded('t.title')}), 'A') || "
        f"setweight(to_tsvector('{config}', {_pg_folded('t.summary')}), 'B') || "
        f"to_tsvector('{config}', {_pg_folded('t.body_text')})"
    )


#: PostgreSQL text-search configuration of each translated locale.
PG_CONFIGS = {"es": "spanish"}


def _postgres_translated(words, locale):
    config = PG_CONFIGS.get(locale, "simple")
    document = _pg_translated_document(config)
    sql = sa.text(
        "SELECT l.id, l.slug, t.title, coalesce(mt.title, m.title) AS module_title, "  # noqa: S608 (constants only)
        f"ts_headline('{config}', {pg_plain('t.body_text')}, q.shown, :options) AS snippet "
        "FROM lesson_translations t JOIN lessons l ON l.id = t.lesson_id "
        f"JOIN lesson_modules m ON m.id = l.module_id {_MODULE_TITLE}, "
        f"(SELECT to_tsquery('{config}', :tsquery) AS query, to_tsquery('{config}', :shown) AS shown) q "
        f"WHERE ({document}) @@ q.query AND {_TRANSLATED_PUBLISHED} "
        f"ORDER BY ts_rank({document}, q.query) DESC, l.id LIMIT :limit"
    )
    folded = [fold(w) for w in words]
    params = {
        "tsquery": " & ".join(f"{w}:*" for w in folded),
        # The snippet is cut from the accented text: mark both spellings of each word.
        "shown": " | ".join(f"{w}:*" for w in dict.fromkeys(words + folded)),
        "options": f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2",
        **_translated_params(locale),
    }
    return db.session.execute(sql, params).all()


_PUBLISHED = "l.status = :published AND m.status = :published"


def _sqlite(words):
    match = " ".join(f'"{w}"*' for w in words)  # each token quoted: no operators survive
    sql = sa.text(
        "SELECT l.id, l.slug, l.title, m.title AS module_title, "  # noqa: S608 (only constants are formatted in)
        f"snippet(lessons_fts, 2, '{MARK_START}', '{MARK_END}', '…', 24) AS snippet "
        "FROM lessons_fts JOIN lessons l ON l.id = lessons_fts.rowid "
        "JOIN lesson_modules m ON m.id = l.module_id "
        f"WHERE lessons_fts MATCH :match AND {_PUBLISHED} "
        "ORDER BY bm25(lessons_fts, 10.0, 4.0, 1.0) LIMIT :limit"
    )
    return db.session.execute(sql, {"match": match, "published": Status.PUBLISHED.value, "limit": LIMIT}).all()


def _postgres(words):
    # Prefix matching like FTS5's "word"*; tokens are \w+ only, so to_tsquery sees no operators.
    document = pg_search_document("l")
    sql = sa.text(
        "SELECT l.id, l.slug, l.title, m.title AS module_title, "  # noqa: S608 (only constants are formatted in)
        f"ts_headline('english', {pg_plain('l.body_text')}, q.query, :options) AS snippet "
        "FROM lessons l JOIN lesson_modules m ON m.id = l.module_id, "
        "(SELECT to_tsquery('english', :tsquery) AS query) q "
        f"WHERE ({document}) @@ q.query AND {_PUBLISHED} "
        f"ORDER BY ts_rank({document}, q.query) DESC, l.id LIMIT :limit"
    )
    options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2"
    params = {
        "tsquery": " & ".join(f"{w}:*" for w in words),
        "options": options,
        "published": Status.PUBLISHED.value,
        "limit": LIMIT,
    }
    return db.session.execute(sql, params).all()
