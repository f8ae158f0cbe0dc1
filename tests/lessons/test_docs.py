"""docs/curriculum.md states the figures the content really has."""

import re
from pathlib import Path

from portal.lessons.stats import curriculum_stats

DOC = Path(__file__).resolve().parents[2] / "docs" / "curriculum.md"


def test_doc_figures_match_the_content():
    text = DOC.read_text()
    stats = curriculum_stats()
    assert f"**{len(stats['modules'])} modules, {stats['lessons']} lessons, {stats['words']:,} words**" in text
    for module in stats["modules"]:
        assert (
            f"| {module['order']} | {module['title']} | `{module['slug']}` | {module['lessons']} | "
            f"{module['words']:,} |" in text
        )
    grade = re.search(r"Median \*\*Flesch-Kincaid grade ([\d.]+)\*\*", text)
    assert grade and abs(float(grade.group(1)) - stats["median_grade"]) < 0.05
    assert stats["median_grade"] <= 9
