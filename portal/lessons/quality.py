"""The curriculum's review checklist as code: what every lesson file must meet, and the figures.

Used by `flask curriculum stats` and by the content test in tests/lessons, so the page an
author reads and the check that fails in CI measure the same thing (docs/curriculum.md).
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from portal import sanitize


def plain_text(markdown):
    """Lesson Markdown as the words a reader sees."""
    text = sanitize.plain_text(str(sanitize.markdown_to_html(markdown)))
    return text.replace("&amp;", "&").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")


MIN_QUESTIONS = 3
MIN_SCENARIO_SHARE = 0.5  # at least half of all questions put the reader in a situation
MAX_LONGEST_CORRECT_SHARE = 0.4  # the right answer is the longest option in at most 40% of questions
MAX_SHORTEST_CORRECT_SHARE = 0.4  # …and the shortest in at most 40%: no length cue either way
MAX_POSITION_SHARE = 0.4  # no answer position holds more than 40% of the right answers
MAX_GRADE = 8.0  # Flesch-Kincaid grade of each lesson body
SCENARIO_MIN_WORDS = 10

SOURCES = re.compile(r"^##\s+Sources\s*$\n+(?:\s*\n)*[-*]\s+\S", re.M)
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$", re.M)
TEST_WORDS = r"(?:tests?|tested|screens?|urine|results?|samples?)"
BANNED = [
    (re.compile(r"\b(addicts?|junk(?:ie|y|ies)|abusers?)\b", re.I), "a label for a person"),
    (re.compile(rf"\b(clean|dirty)\b[^.?!]{{0,40}}\b{TEST_WORDS}\b", re.I), "'clean'/'dirty' for a test"),
    (re.compile(rf"\b{TEST_WORDS}\b[^.?!]{{0,40}}\b(clean|dirty)\b", re.I), "'clean'/'dirty' for a test"),
    (
        re.compile(r"\b(stay(?:s|ed|ing)?|get(?:s|ting)?|got|is|was|been)\s+clean\b|\bclean and sober\b", re.I),
        "'clean' for a person",
    ),
    (re.compile(r"\b(hit|hits|hitting)\s+(rock\s+)?bottom\b|\brock bottom\b", re.I), "'hitting bottom'"),
    (re.compile(r"\btough love\b", re.I), "'tough love'"),
    # "enabling" is named once, in quotes, to say we don't use it; any other use labels the family.
    (re.compile(r"(?<![\"“])\benabl\w*", re.I), "'enabler'/'enabling'"),
]
#: Every crisis or help number a lesson may give, written exactly so.
KNOWN_NUMBERS = {
    "911": "emergency",
    "988": "988 Suicide & Crisis Lifeline",
    "1-800-662-4357": "SAMHSA National Helpline",
    "1-800-799-7233": "National Domestic Violence Hotline",
    "1-800-222-1222": "Poison Help line",
}
THREE_DIGIT = re.compile(r"(?<![\d,.$-])9\s?\d\s?\d(?![\d,-]|\.\d)")
TOLL_FREE = re.compile(r"\b1[-\s.]?\(?8[0-9]{2}\)?[-\s.]?[0-9A-Z]{3}[-\s.]?[0-9A-Z]{4}\b")
OLD_LIFELINE = re.compile(r"273[-\s.]?(8255|TALK)|1-800-273", re.I)


@dataclass
class LessonReport:
    slug: str
    grade: float
    problems: list = field(default_factory=list)


def reader_text(lesson):
    """Everything a family member reads in a lesson: title to the last choice's feedback, and
    the "Try this week" practice."""
    parts = [lesson.title, lesson.summary, lesson.reflection, plain_text(lesson.body)]
    if lesson.practice is not None:
        parts.append(lesson.practice.text)
    for question in lesson.questions:
        parts += [question.prompt, *question.choices, question.explanation, *question.feedback]
    return "\n".join(parts)


def banned_terms(text):
    """[(the words found, why they are banned)]."""
    return [(match.group(0), why) for pattern, why in BANNED for match in pattern.finditer(text)]


def wrong_numbers(text):
    """Crisis numbers that are not one of KNOWN_NUMBERS written exactly, and the old lifeline."""
    found = [m.group(0) for m in THREE_DIGIT.finditer(text) if m.group(0) not in KNOWN_NUMBERS]
    found += [m.group(0) for m in TOLL_FREE.finditer(text) if m.group(0) not in KNOWN_NUMBERS]
    found += [m.group(0) for m in OLD_LIFELINE.finditer(text)]
    return found


def is_scenario(question):
    return question.scenario and len(question.prompt.split()) >= SCENARIO_MIN_WORDS


def correct_is_longest(question):
    right = len(question.choices[question.answer])
    return all(right >= len(c) for i, c in enumerate(question.choices) if i != question.answer)


def correct_is_shortest(question):
    right = len(question.choices[question.answer])
    return all(right <= len(c) for i, c in enumerate(question.choices) if i != question.answer)


def has_feedback_for_every_choice(question):
    return len(question.feedback) == len(question.choices) and all(f.strip() for f in question.feedback)


def check_lesson(lesson, grade):
    """The problems of one lesson file (an empty list when it meets the checklist)."""
    report = LessonReport(lesson.slug, grade)
    if len(lesson.questions) < MIN_QUESTIONS:
        report.problems.append(f"has {len(lesson.questions)} questions (at least {MIN_QUESTIONS})")
    if TABLE_ROW.search(lesson.body):
        report.problems.append("uses a Markdown table, which lesson pages do not render; use a list")
    if not SOURCES.search(lesson.body):
        report.problems.append("has no '## Sources' section with at least one source")
    if lesson.practice is None:
        report.problems.append("has no 'practice:' (one small, safe thing to try this week)")
    elif not lesson.practice.followup:
        report.problems.append("its practice names no 'followup' lesson for when it went badly")
    for question in lesson.questions:
        if not has_feedback_for_every_choice(question):
            report.problems.append(f"question {question.prompt[:50]!r} lacks feedback for every choice")
        if question.scenario and not is_scenario(question):
            report.problems.append(f"scenario {question.prompt[:50]!r} is too short to set a scene")
    if grade > MAX_GRADE:
        report.problems.append(f"reads at grade {grade:.1f} (at most {MAX_GRADE:g})")
    text = reader_text(lesson)
    report.problems += [f"uses {words!r} ({why})" for words, why in banned_terms(text)]
    report.problems += [f"gives the number {n!r}, which is not a known crisis line" for n in wrong_numbers(text)]
    return report


def followup_problems(lessons):
    """Practices whose followup is not another lesson of the curriculum, as sentences."""
    slugs = {lesson.slug for lesson in lessons}
    return [
        f"{lesson.slug}: practice followup {lesson.practice.followup!r} is not another lesson"
        for lesson in lessons
        if lesson.practice is not None
        and lesson.practice.followup
        and (lesson.practice.followup not in slugs or lesson.practice.followup == lesson.slug)
    ]


def question_figures(questions):
    """Shares over all questions: scenarios, longest-is-correct, and correct answers per position."""
    total = len(questions) or 1
    positions = Counter(q.answer for q in questions)
    return {
        "questions": len(questions),
        "scenario_share": sum(is_scenario(q) for q in questions) / total,
        "longest_correct_share": sum(correct_is_longest(q) for q in questions) / total,
        "shortest_correct_share": sum(correct_is_shortest(q) for q in questions) / total,
        "position_shares": {p: positions[p] / total for p in sorted(positions)},
        "with_feedback": sum(has_feedback_for_every_choice(q) for q in questions),
    }


def curriculum_problems(figures, lesson_reports):
    """Every way the curriculum leaves its bounds, as sentences (empty when all is well)."""
    problems = [f"{r.slug}: {p}" for r in lesson_reports for p in r.problems]
    if figures["scenario_share"] < MIN_SCENARIO_SHARE:
        problems.append(f"scenario share {figures['scenario_share']:.0%} is under {MIN_SCENARIO_SHARE:.0%}")
    if figures["longest_correct_share"] > MAX_LONGEST_CORRECT_SHARE:
        problems.append(
            f"the correct option is the longest in {figures['longest_correct_share']:.0%} of questions "
            f"(at most {MAX_LONGEST_CORRECT_SHARE:.0%})"
        )
    if figures["shortest_correct_share"] > MAX_SHORTEST_CORRECT_SHARE:
        problems.append(
            f"the correct option is the shortest in {figures['shortest_correct_share']:.0%} of questions "
            f"(at most {MAX_SHORTEST_CORRECT_SHARE:.0%})"
        )
    for position, share in figures["position_shares"].items():
        if share > MAX_POSITION_SHARE:
            problems.append(f"answer position {position + 1} holds {share:.0%} of correct answers")
    return problems


# --- translations (docs/curriculum.md, "Translations") ------------------------------------------

SOURCES_BY_LOCALE = {"es": re.compile(r"^##\s+Fuentes\s*$\n+(?:\s*\n)*[-*]\s+\S", re.M)}
ES_TEST_WORDS = r"(?:pruebas?|análisis|analisis|resultados?|muestras?|orina|exámen(?:es)?|examen(?:es)?)"
BANNED_BY_LOCALE = {
    "es": [
        (re.compile(r"\b(drogadict[oa]s?|adict[oa]s?)\b", re.I), "una etiqueta para una persona"),
        (
            re.compile(rf"\b(limpi[oa]s?|suci[oa]s?)\b[^.?!]{{0,40}}\b{ES_TEST_WORDS}", re.I),
            "'limpio'/'sucio' (prueba)",
        ),
        (
            re.compile(rf"\b{ES_TEST_WORDS}[^.?!]{{0,40}}\b(limpi[oa]s?|suci[oa]s?)\b", re.I),
            "'limpio'/'sucio' (prueba)",
        ),
        (
            re.compile(r"\b(est[aá]\w*|mantener\w*|sigue|seguir|lleva\w*)\s+(limpi[oa]s?)\b", re.I),
            "'limpio' para una persona",
        ),
        (re.compile(r"\bto(?:c|qu)\w*\s+(?:el\s+)?fondo\b", re.I), "'tocar fondo'"),
        (re.compile(r"\bmano\s+dura\b", re.I), "'mano dura'"),
    ]
}


def check_translation(english, translation, locale):
    """The problems of one translated lesson file against its English source: the same slug,
    questions, choices, answers and scenarios, a Sources section in its language, no banned
    terms, only known crisis numbers (empty when all is well)."""
    problems = []
    if translation.slug != english.slug:
        problems.append(f"has slug {translation.slug!r}, the English file has {english.slug!r}")
    if len(translation.questions) != len(english.questions):
        problems.append(f"has {len(translation.questions)} questions, the English file has {len(english.questions)}")
    for n, (theirs, ours) in enumerate(zip(english.questions, translation.questions, strict=False), start=1):
        if len(ours.choices) != len(theirs.choices):
            problems.append(f"question {n} has {len(ours.choices)} choices, the English one has {len(theirs.choices)}")
        if (ours.answer, ours.scenario) != (theirs.answer, theirs.scenario):
            problems.append(f"question {n} changes the answer or scenario of the English one")
        if any(theirs.feedback) and not has_feedback_for_every_choice(ours):
            problems.append(f"question {n} lacks feedback for every choice")
    theirs, ours = getattr(english, "practice", None), getattr(translation, "practice", None)
    if theirs is not None and ours is None:
        problems.append("has no 'practice:' (the English file has one)")
    elif theirs is not None and ours.followup != theirs.followup:
        problems.append(f"practice followup {ours.followup!r} differs from the English {theirs.followup!r}")
    sources = SOURCES_BY_LOCALE.get(locale, SOURCES)
    if not sources.search(translation.body):
        problems.append(f"has no '## {'Fuentes' if locale == 'es' else 'Sources'}' section with at least one source")
    text = reader_text(translation)
    for pattern, why in BANNED_BY_LOCALE.get(locale, BANNED):
        problems += [f"uses {match.group(0)!r} ({why})" for match in pattern.finditer(text)]
    problems += [f"gives the number {n!r}, which is not a known crisis line" for n in wrong_numbers(text)]
    return problems
