"""Ranked full-text search over published lessons (FTS5 on SQLite, tsvector on PostgreSQL)."""

from portal.extensions import db
from portal.lessons.models import Lesson, Status
from portal.lessons.search import highlight, search_lessons
from tests.lessons.conftest import make_module

HOSTILE = [
    '"',
    '""',
    "*",
    "NEAR(",
    "NEAR(trust naloxone, 2)",
    "trust OR",
    "AND",
    "title:trust",
    "^trust",
    "trust -",
    "' OR 1=1 --",
    "'; DROP TABLE lessons; --",
    "\\",
    "%",
    "_",
    "(((",
    ")",
    "{}",
    "😀",
    "\x00",
    "trust:*",
    "a & b | !c",
    "<script>alert(1)</script>",
    "x" * 500,
    "a b c d e f g h i j k l m n o p",
]


def test_finds_published_lessons_ranked_with_highlighted_snippets(curriculum):
    hits = search_lessons("naloxone")
    assert hits and hits[0].slug == "overdose-naloxone-safe-storage"
    assert all("<mark>" in str(hit.snippet).lower() for hit in hits)
    assert "<mark>Naloxone</mark>" in str(hits[0].snippet) or "<mark>naloxone</mark>" in str(hits[0].snippet)


def test_title_matches_rank_above_passing_mentions(curriculum):
    hits = search_lessons("boundary")
    assert hits[0].slug in {"what-a-boundary-is", "setting-and-keeping-boundaries", "boundaries-for-safety"}


def test_prefix_and_several_words(curriculum):
    assert any(hit.slug == "overdose-naloxone-safe-storage" for hit in search_lessons("nalox"))
    assert search_lessons("naloxone storage")[0].slug == "overdose-naloxone-safe-storage"


def test_drafts_are_never_found(app):
    module = make_module("searchable")
    lesson = module.lessons[0]
    lesson.title = "Zebrafinch wisdom"
    lesson.status = Status.DRAFT.value
    db.session.commit()
    assert search_lessons("zebrafinch") == []
    lesson.status = Status.PUBLISHED.value
    db.session.commit()
    assert [h.slug for h in search_lessons("zebrafinch")] == [lesson.slug]


def test_index_follows_edits_and_deletes(app):
    lesson = make_module("follow").lessons[0]
    lesson.set_body("Quokka text here.")
    db.session.commit()
    assert search_lessons("quokka")
    lesson.set_body("Nothing special.")
    db.session.commit()
    assert search_lessons("quokka") == []
    db.session.delete(db.session.get(Lesson, lesson.id))
    db.session.commit()
    assert search_lessons("nothing special") == [] or all(h.slug != lesson.slug for h in search_lessons("special"))


def test_snippets_are_escaped_before_marking(app):
    lesson = make_module("escape").lessons[0]
    lesson.set_body("Watch for `<script>alert('wombat')</script>` in text & more.")
    db.session.commit()
    hits = search_lessons("wombat")
    assert hits
    snippet = str(hits[0].snippet)
    assert "<script" not in snippet and "script" in snippet and "<mark>wombat</mark>" in snippet


def test_highlight_escapes_everything_but_marks():
    assert str(highlight("<b>\ue000hit\ue001</b> & 'x'")) == "&lt;b&gt;<mark>hit</mark>&lt;/b&gt; &amp; &#39;x&#39;"


def test_hostile_queries_never_fail(curriculum, learner, client):
    for query in HOSTILE:
        response = client.get("/lessons/search", query_string={"q": query})
        assert response.status_code in (200, 400, 422), query  # 400: NUL; 422: too long for the field
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
        search_lessons(query)  # and straight through the service


def test_search_page_renders_results_and_empty_state(curriculum, learner, client):
    page = client.get("/lessons/search?q=trust").get_data(as_text=True)
    assert "lessons found" in page and "<mark>" in page
    page = client.get("/lessons/search?q=qwertyzzz").get_data(as_text=True)
    assert "No lessons found" in page
    assert client.get("/lessons/search").status_code == 200
