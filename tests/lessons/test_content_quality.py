"""The review checklist as code (issue 10 §5): every lesson in portal/content/ meets it, and the
checks themselves catch what they are meant to catch (docs/curriculum.md, "Review checklist")."""

import functools
from pathlib import Path

import pytest

from portal.lessons import quality
from portal.lessons.content import TRANSLATED_LOCALES, LessonSource, PracticeSource, QuestionSource, read_curriculum
from portal.lessons.stats import curriculum_stats, translation_figures


@functools.cache
def stats():
    """`flask curriculum stats`' figures, worked out once, by the first test that asks (the
    readability scores take a second or two: never at collection, nor in runs that skip them)."""
    return curriculum_stats()


SLUGS = sorted(lesson.slug for module in read_curriculum() for lesson in module.lessons)


def test_every_lesson_has_a_report():
    assert sorted(report.slug for report in stats()["reports"]) == SLUGS


@pytest.mark.parametrize("slug", SLUGS)
def test_every_lesson_meets_the_checklist(slug):
    report = next(report for report in stats()["reports"] if report.slug == slug)
    assert report.problems == []


def test_the_curriculum_figures_are_inside_their_bounds():
    figures = stats()
    assert figures["problems"] == []
    assert figures["scenario_share"] >= quality.MIN_SCENARIO_SHARE
    assert figures["longest_correct_share"] <= quality.MAX_LONGEST_CORRECT_SHARE
    assert figures["shortest_correct_share"] <= quality.MAX_SHORTEST_CORRECT_SHARE
    assert max(figures["position_shares"].values()) <= quality.MAX_POSITION_SHARE
    assert figures["with_feedback"] == figures["questions"] >= quality.MIN_QUESTIONS * figures["lessons"]
    assert figures["lessons_with_sources"] == figures["lessons"]
    assert figures["max_grade"] <= quality.MAX_GRADE


def test_every_choice_has_its_own_feedback_in_the_files():
    for module in read_curriculum():
        for lesson in module.lessons:
            for question in lesson.questions:
                assert len(question.feedback) == len(question.choices) >= 3, lesson.slug
                assert len(set(question.choices)) == len(question.choices), question.prompt
                assert all(text.strip() for text in question.feedback), question.prompt


# --- the checks catch mistakes -------------------------------------------------------------------

GOOD_CHOICES = ["Wait for a calm time to talk", "Search the room tonight", "Shout until he answers"]


def question(answer=0, scenario=True, feedback=True, choices=GOOD_CHOICES):
    prompt = "Your son comes home two hours late and goes straight to his room. What do you do?"
    notes = [f"Because {n}." for n in range(len(choices))] if feedback else ["", "", ""]
    return QuestionSource(prompt, list(choices), answer, "", notes, scenario)


def lesson(body="Some text.\n\n## Sources\n\n- NIDA, *Treatment and Recovery*.\n", questions=None, **text):
    questions = [question(), question(1), question(2)] if questions is None else questions
    fields = {"title": "T", "summary": "S", "reflection": "R?", "practice": PracticeSource("Take a walk.", "y")} | text
    return LessonSource(Path("x.md"), "x", order=1, minutes=5, body=body, questions=questions, **fields)


def problems(source, grade=5.0):
    return quality.check_lesson(source, grade).problems


def test_a_good_lesson_passes():
    assert problems(lesson()) == []


def test_missing_checks_sources_and_feedback_are_caught():
    assert any("questions (at least 3)" in p for p in problems(lesson(questions=[question(), question()])))
    assert any("Sources" in p for p in problems(lesson(body="Text only.\n")))
    assert any("Sources" in p for p in problems(lesson(body="Text.\n\n## Sources\n\nNone yet.\n")))
    no_feedback = lesson(questions=[question(), question(1), question(2, feedback=False)])
    assert any("lacks feedback" in p for p in problems(no_feedback))
    short = QuestionSource("Is it true?", GOOD_CHOICES, 0, "", ["a", "b", "c"], True)
    assert any("too short to set a scene" in p for p in problems(lesson(questions=[short, question(), question()])))


def test_a_markdown_table_is_caught():
    table = "| a | b |\n|---|---|\n| x | y |\n\n## Sources\n\n- NIDA.\n"
    assert any("Markdown table" in p for p in problems(lesson(body=table)))


def test_reading_grade_above_eight_is_caught():
    assert any("grade 8.4" in p for p in problems(lesson(), grade=8.4))
    assert problems(lesson(), grade=8.0) == []


@pytest.mark.parametrize(
    "text",
    [
        "He is an addict.",
        "Some addicts recover.",
        "Her test came back dirty.",
        "A clean drug test is good news.",
        "His urine screen was clean.",
        "She has stayed clean for a year.",
        "Wait until they hit rock bottom.",
        "Hitting bottom is not required.",
        "Try some tough love.",
        "Don't be an enabler.",
        "Stop enabling him.",
    ],
)
def test_banned_terms_are_caught(text):
    assert any("uses" in p for p in problems(lesson(summary=text)))


@pytest.mark.parametrize(
    "text",
    [
        "Substance use disorder and addiction are health conditions.",
        "Clean the kitchen together.",
        "The test was negative.",
        'You may have heard people call this "enabling." We don\'t use that word here.',
        "Your needs slip to the bottom of the list.",
    ],
)
def test_ordinary_words_are_not_banned(text):
    assert problems(lesson(summary=text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Call 1-800-273-8255.",
        "Call 1-800-273-TALK.",
        "Call 1-800-662-4375.",
        "Call 1 800 662 4357.",
        "Call 1-888-555-0100 for help.",
        "Call 912 in an emergency.",
        "Text 989 to talk.",
        "Text 9 8 8.",
    ],
)
def test_wrong_crisis_numbers_are_caught(text):
    assert any("not a known crisis line" in p for p in problems(lesson(body=f"{text}\n\n## Sources\n\n- NIDA.\n")))


def test_right_numbers_and_ordinary_figures_pass():
    text = (
        "Call 911. Call or text 988, or text AYUDA to 988. Call 1-800-662-4357 to find services. "
        "Call 1-800-799-7233 or text START to 88788. Poison Help: 1-800-222-1222. "
        "Naloxone lasts 30 to 90 minutes; about 900 words."
    )
    assert quality.wrong_numbers(text) == ["900"]  # a stray 9xx figure is flagged too; write it in words
    assert quality.wrong_numbers(text.replace("about 900 words", "short")) == []


def test_figures_and_bounds_over_questions():
    balanced = [question(0), question(1), question(2)]
    figures = quality.question_figures(balanced)
    assert figures["scenario_share"] == 1 and figures["with_feedback"] == 3
    assert quality.curriculum_problems(figures, []) == []
    all_first = quality.question_figures([question(0)] * 3)
    assert any("position 1 holds 100%" in p for p in quality.curriculum_problems(all_first, []))
    facts = quality.question_figures([question(0, scenario=False)] * 2 + [question(1)])
    assert any("scenario share 33%" in p for p in quality.curriculum_problems(facts, []))
    long_right = ["The long and careful right answer", "Short", "Also short"]
    tells = quality.question_figures([question(0, choices=long_right)] * 2 + [question(1)])
    assert any("longest in 67%" in p for p in quality.curriculum_problems(tells, []))
    short_right = ["Yes", "A much longer wrong answer", "Another long wrong answer"]
    tells = quality.question_figures([question(0, choices=short_right)] * 2 + [question(1)])
    assert any("shortest in 67%" in p for p in quality.curriculum_problems(tells, []))


def test_stats_command_prints_every_figure(app, runner):
    result = runner.invoke(args=["curriculum", "stats"])
    assert result.exit_code == 0, result.output
    lessons, questions = stats()["lessons"], stats()["questions"]
    for line in (
        f"lessons: {lessons}",
        "highest Flesch-Kincaid grade:",
        f"lessons with a Sources section: {lessons} of {lessons}",
        f"questions with feedback for every choice: {questions} of {questions}",
        "scenario questions:",
        "correct option is the longest:",
        "correct option is the shortest:",
        "correct answer positions: 1:",
        f"lessons with a practice: {lessons} of {lessons}",
        "problems: 0",
    ):
        assert line in result.output, line


# --- translations (Spanish) ----------------------------------------------------------------------

ES_BODY = "Texto.\n\n## Fuentes\n\n- NIDA, *Tratamiento y recuperación*.\n"


def spanish(body=ES_BODY, questions=None, **text):
    fields = {"title": "T", "summary": "Resumen.", "reflection": "¿Qué notó?"} | text
    return lesson(body=body, questions=questions, **fields)


def es_problems(translation, english=None):
    return quality.check_translation(english or lesson(), translation, "es")


def test_a_faithful_spanish_lesson_passes():
    assert es_problems(spanish()) == []


def test_spanish_structure_must_match_the_english():
    assert any("2 questions" in p for p in es_problems(spanish(questions=[question(), question(1)])))
    two_choices = question(1, choices=GOOD_CHOICES[:2])
    two_choices.feedback = ["a", "b"]
    assert any("2 choices" in p for p in es_problems(spanish(questions=[question(), two_choices, question(2)])))
    moved = spanish(questions=[question(), question(2), question(2)])
    assert any("changes the answer" in p for p in es_problems(moved))
    no_feedback = spanish(questions=[question(), question(1), question(2, feedback=False)])
    assert any("lacks feedback" in p for p in es_problems(no_feedback))


def test_a_spanish_practice_is_needed_with_the_same_followup():
    english = lesson(practice=PracticeSource("Try one thing.", "other-lesson"))
    assert any("no 'practice:'" in p for p in es_problems(spanish(practice=None), english))
    moved = spanish(practice=PracticeSource("Pruebe una cosa.", "another-lesson"))
    assert any("followup" in p for p in es_problems(moved, english))
    assert es_problems(spanish(practice=PracticeSource("Pruebe una cosa.", "other-lesson")), english) == []


def test_spanish_lessons_need_a_fuentes_section():
    assert any("Fuentes" in p for p in es_problems(spanish(body="Texto.\n\n## Sources\n\n- NIDA.\n")))
    assert any("Fuentes" in p for p in es_problems(spanish(body="Solo texto.\n")))


@pytest.mark.parametrize(
    "text",
    [
        "Su hijo no es un adicto.",
        "Los drogadictos también son personas.",
        "La prueba salió limpia.",
        "Un resultado sucio no es el final.",
        "Salió sucio en el análisis de orina.",
        "Lleva tres meses y está limpio.",
        "Hay que esperar a que toque fondo.",
        "No hace falta tocar fondo.",
        "Use mano dura con él.",
    ],
)
def test_spanish_banned_terms_are_caught(text):
    assert any("uses" in p for p in es_problems(spanish(summary=text)))


@pytest.mark.parametrize(
    "text",
    [
        "La adicción es una condición de salud.",
        "Limpie la cocina juntos.",
        "El resultado fue negativo.",
        "Una persona con un trastorno por consumo de sustancias.",
        "Llame al 988 y marque 2, o envíe AYUDA al 988. Llame al 911. Línea de SAMHSA: 1-800-662-4357.",
    ],
)
def test_ordinary_spanish_passes(text):
    assert es_problems(spanish(summary=text)) == []


@pytest.mark.parametrize("text", ["Llame al 1-800-273-8255.", "Llame al 912.", "Envíe AYUDA al 989."])
def test_wrong_crisis_numbers_in_spanish_are_caught(text):
    assert any("not a known crisis line" in p for p in es_problems(spanish(summary=text)))


TRANSLATIONS = {locale: translation_figures(locale) for locale in TRANSLATED_LOCALES}


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_every_translated_lesson_file_meets_the_checklist(locale):
    assert TRANSLATIONS[locale]["problems"] == []


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_every_curriculum_file_has_a_current_translation(locale):
    figures = TRANSLATIONS[locale]
    out_of_date = [f"stale: {name}" for name in figures["stale"]] + [f"missing: {name}" for name in figures["missing"]]
    assert out_of_date == [], f"{len(out_of_date)} {locale} files to translate or update:\n" + "\n".join(out_of_date)


def test_a_lesson_without_a_practice_or_its_followup_fails():
    assert any("has no 'practice:'" in p for p in problems(lesson(practice=None)))
    assert any("names no 'followup'" in p for p in problems(lesson(practice=PracticeSource("Take a walk."))))
    risky = lesson(practice=PracticeSource("Ask the addict in your home to call 1-800-273-8255.", "y"))
    found = problems(risky)
    assert any("'addict'" in p for p in found) and any("1-800-273" in p for p in found)


def test_followups_must_name_another_lesson_of_the_curriculum():
    good = lesson()
    other = LessonSource(Path("y.md"), "y", "Y", 1, 5, "S", "R?", "Body", [], PracticeSource("Rest.", "x"))
    assert quality.followup_problems([good, other]) == []
    lost = LessonSource(Path("z.md"), "z", "Z", 1, 5, "S", "R?", "Body", [], PracticeSource("Rest.", "gone"))
    itself = LessonSource(Path("w.md"), "w", "W", 1, 5, "S", "R?", "Body", [], PracticeSource("Rest.", "w"))
    found = quality.followup_problems([good, other, lost, itself])
    assert len(found) == 2 and "z: practice followup 'gone'" in found[0] and "w:" in found[1]


def test_every_lesson_file_has_a_practice_with_a_real_followup():
    lessons = [lesson for module in read_curriculum() for lesson in module.lessons]
    assert all(lesson.practice and lesson.practice.text and lesson.practice.followup for lesson in lessons)
    assert quality.followup_problems(lessons) == []
    figures = stats()
    assert figures["lessons_with_practice"] == figures["lessons"]
