"""Every lesson in portal/content/ meets the curriculum's standards (issue 4)."""

import re

import pytest

from portal.lessons.content import read_curriculum
from portal.lessons.stats import plain_text, word_count

MODULES = read_curriculum()
LESSONS = [lesson for module in MODULES for lesson in module.lessons]
FORBIDDEN = re.compile(r"\b(addicts?|junkies?|junky|abusers?)\b", re.I)
# A crisis number that appears must be written exactly so.
NEAR_MISSES = [
    (re.compile(r"1[-\s.]?800[-\s.]?662[-\s.]?\d{4}"), "1-800-662-4357"),
    (re.compile(r"(?<![\d-])9\s?8\s?8(?![\d-])"), "988"),
    (re.compile(r"(?<![\d-])9\s?1\s?1(?![\d-])"), "911"),
]


def lesson_id(lesson):
    return lesson.slug


def all_text(lesson):
    parts = [lesson.title, lesson.summary, lesson.reflection, plain_text(lesson.body)]
    for q in lesson.questions:
        parts += [q.prompt, *q.choices, q.explanation, *q.feedback]
    return "\n".join(parts)


def test_there_are_at_least_eight_modules_and_thirty_lessons():
    assert len(MODULES) >= 8 and len(LESSONS) >= 30
    assert len({m.slug for m in MODULES}) == len(MODULES)
    assert len({lesson.slug for lesson in LESSONS}) == len(LESSONS)


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_length_between_400_and_1200_words(lesson):
    assert 400 <= word_count(lesson.body) <= 1200


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_three_to_five_questions_with_valid_answers_and_feedback(lesson):
    assert 3 <= len(lesson.questions) <= 5
    for question in lesson.questions:
        assert question.prompt.strip() and len(question.choices) >= 3
        assert 0 <= question.answer < len(question.choices)
        assert len(set(question.choices)) == len(question.choices)
        assert all(text.strip() for text in question.feedback) and len(question.feedback) == len(question.choices)


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_reflection_prompt_minutes_and_summary(lesson):
    assert lesson.reflection.strip().endswith("?") or len(lesson.reflection.strip()) > 20
    assert 1 <= lesson.minutes <= 30 and lesson.summary.strip()


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_person_first_language(lesson):
    assert not FORBIDDEN.search(all_text(lesson))


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_crisis_numbers_are_exact(lesson):
    text = all_text(lesson)
    for pattern, exact in NEAR_MISSES:
        for match in pattern.finditer(text):
            assert match.group(0) == exact, f"{match.group(0)!r} should be written {exact}"
    if "SAMHSA" in text and "Helpline" in text:
        assert "1-800-662-4357" in text


def test_the_checks_catch_mistakes():
    assert FORBIDDEN.search("He is an addict.") and FORBIDDEN.search("JUNKIES") and FORBIDDEN.search("abuser")
    assert not FORBIDDEN.search("substance use disorder; addiction is a health condition")
    wrong = "Call 1-800-662-4375 or 1 800 662 4357"
    assert [m.group(0) for m in NEAR_MISSES[0][0].finditer(wrong)] == ["1-800-662-4375", "1 800 662 4357"]
    assert [m.group(0) for m in NEAR_MISSES[1][0].finditer("text 9 8 8 or 988")] == ["9 8 8", "988"]
