"""The curriculum in Spanish: the file format, loading, reading, stale translations, search."""

import textwrap
from collections import Counter

import pytest
from flask_babel import refresh

from portal.extensions import db
from portal.lessons import translations
from portal.lessons.content import read_curriculum, read_translation, translation_report
from portal.lessons.loader import load_curriculum
from portal.lessons.models import Certificate, Lesson, LessonProgress, LessonTranslation, ModuleTranslation, QuizAnswer
from portal.lessons.search import search_lessons, spanish_stem

MODULE_EN = """\
---
slug: family-basics
title: Family basics
order: 1
summary: Where families start.
---
Families matter in **recovery**.
"""

LESSON_EN = """\
---
slug: relapse-is-part
title: When a relapse happens
order: 1
minutes: 6
summary: A relapse is a moment, not the end.
reflection: What would help you stay calm?
practice: Write down one calm sentence to say if it happens.
questions:
  - prompt: Your son used again after three months. What is most helpful?
    scenario: true
    answer: 1
    choices:
      - text: Tell him the treatment failed.
        feedback: A relapse does not erase the progress made.
      - text: Stay calm and talk with his counselor.
        feedback: Calm support helps him return to treatment.
      - text: Say nothing at all.
        feedback: Silence can leave everyone alone with it.
---
## What a relapse means

A relapse is common in recovery. Families can help by staying calm.

## Sources

- NIDA, Treatment and Recovery.
"""

LESSON_ES = """\
---
slug: relapse-is-part
title: Cuando ocurre una recaída
order: 1
minutes: 6
translation_of: "{fingerprint}"
summary: Una recaída es un momento, no el final.
reflection: ¿Qué le ayudaría a mantener la calma?
practice: Escriba una frase tranquila para decir si ocurre.
questions:
  - prompt: Su hijo volvió a consumir después de tres meses. ¿Qué ayuda más?
    scenario: true
    answer: 1
    choices:
      - text: Decirle que el tratamiento fracasó.
        feedback: Una recaída no borra el progreso logrado.
      - text: Mantener la calma y hablar con su consejero.
        feedback: El apoyo con calma le ayuda a volver al tratamiento.
      - text: No decir nada.
        feedback: El silencio puede dejar a todos solos.
---
## Qué significa una recaída

Las recaídas son comunes en la recuperación. Las familias pueden ayudar con calma y límites.

## Fuentes

- NIDA, Tratamiento y recuperación.
"""

MODULE_ES = """\
---
slug: family-basics
title: Lo básico para las familias
order: 1
translation_of: "{fingerprint}"
summary: Por dónde empiezan las familias.
---
Las familias importan en la **recuperación**.
"""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def content(tmp_path):
    """A one-module, one-lesson curriculum with its Spanish translation (current)."""
    root = tmp_path / "content"
    write(root / "01-basics" / "_module.md", MODULE_EN)
    write(root / "01-basics" / "relapse.md", LESSON_EN)
    (english,) = read_curriculum(root)
    write(root / "es" / "01-basics" / "_module.md", MODULE_ES.format(fingerprint=english.fingerprint))
    write(root / "es" / "01-basics" / "relapse.md", LESSON_ES.format(fingerprint=english.lessons[0].fingerprint))
    return root


@pytest.fixture
def spanish(app):
    app.config["LANGUAGES"] = ["en", "es"]
    return app


@pytest.fixture
def lector(spanish, auth):
    """A signed-in family member who reads in Spanish."""
    from tests.factories import make_user

    user = make_user(display_name="Lucía")
    user.locale = "es"
    db.session.commit()
    auth.login(user.email)
    return user


def make_stale(root):
    """Edit the English lesson after it was translated."""
    path = root / "01-basics" / "relapse.md"
    path.write_text(path.read_text().replace("Families can help", "Families can often help"))


# --- the file format and the report ---------------------------------------------------------


def test_translation_files_are_read_with_their_source_fingerprint(content):
    (english,) = read_curriculum(content)
    translation = read_translation(english.lessons[0], "es", content)
    assert translation.translation_of == english.lessons[0].fingerprint
    assert translation.source.title == "Cuando ocurre una recaída"
    assert [q.answer for q in translation.source.questions] == [1]
    assert translation.source.questions[0].feedback[1].startswith("El apoyo")
    assert read_translation(english, "es", content).source.title == "Lo básico para las familias"


def test_the_es_folder_is_not_read_as_a_module(content):
    assert [m.slug for m in read_curriculum(content)] == ["family-basics"]


def test_report_names_stale_and_missing_files(content):
    assert translation_report("es", content) == [
        ("01-basics/_module.md", "translated"),
        ("01-basics/relapse.md", "translated"),
    ]
    make_stale(content)
    (content / "es" / "01-basics" / "_module.md").unlink()
    assert translation_report("es", content) == [("01-basics/_module.md", "missing"), ("01-basics/relapse.md", "stale")]


def test_a_translation_without_translation_of_is_refused(content):
    from portal.lessons.content import ContentError

    path = content / "es" / "01-basics" / "relapse.md"
    path.write_text("\n".join(line for line in path.read_text().splitlines() if "translation_of" not in line))
    (english,) = read_curriculum(content)
    with pytest.raises(ContentError, match="translation_of"):
        read_translation(english.lessons[0], "es", content)


# --- loading --------------------------------------------------------------------------------


def test_load_stores_translations_idempotently_and_removes_deleted_ones(app, content):
    translated = Counter()
    report = load_curriculum(content, translations=translated)
    assert report == {"modules created": 1, "lessons created": 1}  # the English, as before
    assert translated == {"translations es created": 2}
    row = db.session.scalar(db.select(LessonTranslation))
    assert row.locale == "es" and row.title == "Cuando ocurre una recaída"
    assert row.questions[0]["choices"][1] == "Mantener la calma y hablar con su consejero."
    assert "<h2>Qué significa una recaída</h2>" in row.body_html
    translated.clear()
    load_curriculum(content, translations=translated)
    assert translated == {"translations es unchanged": 2}
    (content / "es" / "01-basics" / "relapse.md").unlink()
    translated.clear()
    load_curriculum(content, translations=translated)
    assert translated == {"translations es removed": 1, "translations es unchanged": 1}
    assert db.session.scalar(db.select(db.func.count()).select_from(LessonTranslation)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(ModuleTranslation)) == 1


def test_english_fingerprints_are_unchanged_by_translations(app, content):
    load_curriculum(content)
    (english,) = read_curriculum(content)
    assert db.session.scalar(db.select(Lesson.source_hash)) == english.lessons[0].fingerprint


# --- reading in Spanish ---------------------------------------------------------------------


def test_spanish_reader_sees_the_lesson_module_and_checks_in_spanish(content, lector, client):
    load_curriculum(content)
    page = client.get("/lessons/read/relapse-is-part").get_data(as_text=True)
    assert "Cuando ocurre una recaída" in page
    assert "Qué significa una recaída" in page
    assert "Mantener la calma y hablar con su consejero." in page
    assert "¿Qué le ayudaría a mantener la calma?" in page
    assert "Lo básico para las familias" in page
    assert "When a relapse happens" not in page
    assert 'id="lesson-title" lang' not in page and 'class="prose" lang' not in page
    catalogue = client.get("/lessons/").get_data(as_text=True)
    assert "Lo básico para las familias" in catalogue and "Por dónde empiezan las familias." in catalogue
    module = client.get("/lessons/modules/family-basics").get_data(as_text=True)
    assert "Las familias importan en la" in module and "Cuando ocurre una recaída" in module


def test_answers_and_progress_are_the_same_records_in_either_language(content, lector, client, auth):
    load_curriculum(content)
    lesson = db.session.scalar(db.select(Lesson))
    question = lesson.questions[0]
    reply = auth.post(
        "/lessons/read/relapse-is-part/answer",
        {"question_id": question.id, "choice": 1},
        headers={"Accept": "application/json"},
    ).get_json()
    assert reply["correct"] is True
    assert "El apoyo con calma le ayuda a volver al tratamiento." in reply["html"]
    answer = db.session.scalar(db.select(QuizAnswer))
    assert (answer.question_id, answer.choice, answer.correct) == (question.id, 1, True)
    auth.post("/lessons/read/relapse-is-part/complete")
    assert db.session.scalar(db.select(LessonProgress.completed_at)) is not None
    certificate = db.session.scalar(db.select(Certificate))
    assert certificate.module_title == "Family basics"  # the record; shown in the reader's language
    page = client.get(f"/lessons/certificates/{certificate.code}").get_data(as_text=True)
    assert "Lo básico para las familias" in page
    lector.locale = "en"
    db.session.commit()
    english = client.get("/lessons/read/relapse-is-part").get_data(as_text=True)
    assert "When a relapse happens" in english and "Cuando ocurre" not in english
    assert f'value="1" id="q{question.id}-c1" checked' in english


def test_a_stale_translation_shows_current_english_with_a_spanish_note(content, lector, client):
    make_stale(content)
    load_curriculum(content)
    page = client.get("/lessons/read/relapse-is-part").get_data(as_text=True)
    assert "Families can often help" in page
    assert "Cuando ocurre una recaída" not in page
    assert "Esta lección cambió en inglés y estamos actualizando la traducción" in page
    assert '<h1 id="lesson-title" lang="en">When a relapse happens</h1>' in page
    assert '<div class="prose" lang="en">' in page
    assert '<fieldset lang="en">' in page
    listing = client.get("/lessons/modules/family-basics").get_data(as_text=True)
    assert 'lang="en">When a relapse happens</a>' in listing


def test_a_missing_translation_shows_english_with_a_note(content, lector, client):
    (content / "es" / "01-basics" / "relapse.md").unlink()
    load_curriculum(content)
    page = client.get("/lessons/read/relapse-is-part").get_data(as_text=True)
    assert "Esta lección todavía no está traducida al español" in page
    assert '<h1 id="lesson-title" lang="en">When a relapse happens</h1>' in page


def test_an_english_edit_in_the_portal_makes_the_translation_stale(content, lector, client):
    load_curriculum(content)
    lesson = db.session.scalar(db.select(Lesson))
    lesson.edited_in_portal = True
    db.session.commit()
    page = client.get("/lessons/read/relapse-is-part").get_data(as_text=True)
    assert "Esta lección cambió en inglés" in page and "When a relapse happens" in page


def test_english_readers_never_see_translations(content, learner, client):
    load_curriculum(content)
    page = client.get("/lessons/read/relapse-is-part").get_data(as_text=True)
    assert "When a relapse happens" in page and "recaída" not in page and "translation-note" not in page


def test_stats_print_translation_figures(content, app):
    make_stale(content)
    result = app.test_cli_runner().invoke(args=["curriculum", "stats", "--path", str(content)])
    assert "translations es: 1 translated, 1 stale, 0 missing" in result.output
    assert "  - es stale: 01-basics/relapse.md" in result.output


# --- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "stem"), [("recaídas", "recaid"), ("límites", "limit"), ("familias", "famili"), ("hijos", "hijo")]
)
def test_spanish_stems(word, stem):
    assert spanish_stem(word) == stem


@pytest.mark.parametrize("query", ["recaída", "recaidas", "RECAÍDAS", "limite", "límites"])
def test_spanish_search_is_accent_insensitive_and_stemmed(content, spanish, query):
    load_curriculum(content)
    with spanish.test_request_context(headers={"Accept-Language": "es"}):
        hits = search_lessons(query, translations.reader_locale())
    assert [(hit.slug, hit.title, hit.module_title, hit.lang) for hit in hits] == [
        ("relapse-is-part", "Cuando ocurre una recaída", "Lo básico para las familias", None)
    ]
    assert "<mark>" in str(hits[0].snippet)


def test_spanish_search_falls_back_to_english_for_stale_lessons(content, spanish):
    make_stale(content)
    load_curriculum(content)
    assert search_lessons("recaída", "es") == []
    hits = search_lessons("relapse", "es")
    assert [(hit.slug, hit.lang) for hit in hits] == [("relapse-is-part", "en")]
    assert search_lessons("relapse") and search_lessons("relapse")[0].lang is None


@pytest.mark.parametrize("query", ['"', "' OR 1=1 --", "NEAR(recaída", "recaída:*", "a & b | !c", "x" * 500, "😀"])
def test_hostile_spanish_queries_are_just_words(content, spanish, query):
    load_curriculum(content)
    assert isinstance(search_lessons(query, "es"), list)


def test_spanish_search_page(content, lector, client):
    load_curriculum(content)
    page = client.get("/lessons/search?q=recaidas").get_data(as_text=True)
    assert "Cuando ocurre una recaída" in page


# --- tracks, reflections, cost ---------------------------------------------------------------


@pytest.fixture
def real_content(tmp_path):
    """A copy of the real curriculum with a Spanish tracks file (and no Spanish lessons)."""
    import shutil

    from portal.lessons.content import CONTENT_DIR

    root = tmp_path / "real"
    shutil.copytree(CONTENT_DIR, root, ignore=shutil.ignore_patterns("es"))
    write(
        root / "es" / "tracks.yaml",
        "tracks:\n  - role: parent_teen\n    title: Para padres de un adolescente\n    intro: Su hijo adolescente.\n",
    )
    return root


def test_tracks_show_their_spanish_title_and_intro(real_content, spanish):
    from portal.lessons import tracks

    load_curriculum(real_content)
    with spanish.test_request_context(headers={"Accept-Language": "es"}):
        teen = tracks.track_overview(None, "parent_teen", real_content)
        partner = tracks.track_overview(None, "partner", real_content)
    assert (teen.title, teen.intro, teen.lang) == ("Para padres de un adolescente", "Su hijo adolescente.", None)
    assert partner.lang == "en" and partner.title.startswith("For")
    assert all(lesson.lang == "en" for lesson in teen.lessons)  # no Spanish lessons in this copy
    with spanish.test_request_context(headers={"Accept-Language": "en"}):
        refresh()  # the test's app context outlives the request: forget the locale it chose
        assert tracks.track_overview(None, "parent_teen", real_content).title == "For parents of a teenager"


def test_a_spanish_tracks_file_naming_an_unknown_role_is_refused(real_content):
    from portal.lessons.content import ContentError
    from portal.lessons.tracks import read_translated_tracks

    write(real_content / "es" / "tracks.yaml", "tracks:\n  - role: cousin\n    title: T\n    intro: I\n")
    with pytest.raises(ContentError, match="unknown role"):
        read_translated_tracks("es", real_content)


def test_reflections_page_shows_spanish_lesson_titles(content, lector, auth, client):
    load_curriculum(content)
    auth.post("/lessons/read/relapse-is-part/reflection", {"body": "Mi nota"}, page="/lessons/read/relapse-is-part")
    page = client.get("/lessons/reflections").get_data(as_text=True)
    assert "Mi nota" in page and "Cuando ocurre una recaída" in page and "Lo básico para las familias" in page


def test_spanish_pages_cost_a_fixed_number_of_statements(app, spanish, lector, client):
    """Reading in Spanish adds the same few statements however many lessons there are."""
    from tests.lessons.conftest import make_module
    from tests.statements import statements_of_get

    first = make_module("uno", lessons=2)
    paths = ("/lessons/", f"/lessons/modules/{first.slug}", "/dashboard", f"/lessons/read/{first.lessons[0].slug}")
    small = [len(statements_of_get(client, path)) for path in paths]
    for n in range(2, 6):
        make_module(f"m{n}", position=n, lessons=6)
    assert small == [len(statements_of_get(client, path)) for path in paths]


# --- the real Spanish curriculum --------------------------------------------------------------


def test_every_spanish_lesson_page_is_in_spanish(curriculum, lector, client):
    """Every lesson of portal/content/es/ reads in Spanish, with no note and no English title."""
    rows = db.session.execute(db.select(Lesson.slug, LessonTranslation.title).join(LessonTranslation)).all()
    assert rows and len(rows) == db.session.scalar(db.select(db.func.count()).select_from(Lesson))
    for slug, spanish_title in rows:
        page = client.get(f"/lessons/read/{slug}").get_data(as_text=True)
        assert f'<h1 id="lesson-title">{spanish_title}</h1>' in page.replace("&#34;", '"').replace("&#39;", "'"), slug
        assert "translation-note" not in page, slug
        assert 'class="practice-text">' in page, slug  # "Pruebe esta semana" in Spanish too


@pytest.mark.parametrize(("query", "slug"), [("naloxona", "overdose-naloxone-safe-storage"), ("limites", None)])
def test_the_real_spanish_curriculum_is_searchable(curriculum, spanish, query, slug):
    hits = search_lessons(query, "es")
    assert hits and all(hit.lang is None for hit in hits)
    if slug:
        assert slug in [hit.slug for hit in hits[:3]]


def test_curriculum_load_prints_what_happened_to_translations(app, content):
    result = app.test_cli_runner().invoke(args=["curriculum", "load", "--path", str(content)])
    assert result.exit_code == 0, result.output
    assert "lessons created: 1" in result.output and "translations es created: 2" in result.output
    (content / "es" / "01-basics" / "relapse.md").write_text("---\nslug: x\n---\nno title\n")
    result = app.test_cli_runner().invoke(args=["curriculum", "load", "--path", str(content)])
    assert result.exit_code != 0 and "front matter needs 'title'" in result.output


def test_the_practice_is_shown_in_spanish_until_the_english_practice_changes(content, lector, client):
    load_curriculum(content)
    page = client.get("/lessons/read/relapse-is-part").get_data(as_text=True)
    assert '<p class="practice-text">Escriba una frase tranquila para decir si ocurre.</p>' in page
    path = content / "01-basics" / "relapse.md"
    path.write_text(path.read_text().replace("one calm sentence", "two calm sentences"))
    load_curriculum(content)  # the practice is outside the fingerprint: the lesson stays translated
    page = client.get("/lessons/read/relapse-is-part").get_data(as_text=True)
    assert "Cuando ocurre una recaída" in page and "translation-note" not in page
    assert '<p class="practice-text" lang="en">Write down two calm sentences to say if it happens.</p>' in page
    spanish_file = content / "es" / "01-basics" / "relapse.md"
    spanish_file.write_text(spanish_file.read_text().replace("una frase tranquila", "dos frases tranquilas"))
    load_curriculum(content)  # the translator caught up
    page = client.get("/lessons/read/relapse-is-part").get_data(as_text=True)
    assert '<p class="practice-text">Escriba dos frases tranquilas para decir si ocurre.</p>' in page
