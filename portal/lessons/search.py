"""Ranked search over published lessons: SQLite FTS5 or PostgreSQL full text.

The query is reduced to plain word tokens first, so FTS syntax (quotes, *, NEAR(, column
filters) and SQL fragments are just words; values are always bound parameters. Snippets come
back with private-use marker characters around hits; `highlight` escapes the text and only
then turns the markers into <mark>.
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup, escape

from portal.extensions import db
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


def tokens(query):
    words = [t.lower() for t in TOKEN.findall(query or "")]
    return [w.replace("_", "") for w in words if w.replace("_", "")][:MAX_TOKENS]


def highlight(snippet):
    """Escape the snippet, then wrap the marked hits in <mark>."""
    safe = str(escape(snippet or ""))
    return Markup(safe.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S704 (escaped above)


def search_lessons(query):
    words = tokens(query)
    if not words:
        return []
    rows = _postgres(words) if db.engine.dialect.name == "postgresql" else _sqlite(words)
    return [Hit(r.slug, r.title, r.module_title, highlight(r.snippet)) for r in rows]


_PUBLISHED = "l.status = :published AND m.status = :published"


def _sqlite(words):
    match = " ".join(f'"{w}"*' for w in words)  # each token quoted: no operators survive
    sql = sa.text(
        "SELECT l.slug, l.title, m.title AS module_title, "  # noqa: S608 (only constants are formatted in)
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
        "SELECT l.slug, l.title, m.title AS module_title, "  # noqa: S608 (only constants are formatted in)
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
