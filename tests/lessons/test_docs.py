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
    assert stats["max_grade"] <= 8
    for figure in (
        f"**{stats['questions']} questions**",
        f"**{stats['with_feedback']} of {stats['questions']}**",
        f"**{stats['lessons_with_sources']} of {stats['lessons']}**",
        f"**{stats['lessons_with_practice']} of {stats['lessons']} with a practice**",
        f"**{stats['scenario_share']:.0%} scenarios**",
        f"**{stats['longest_correct_share']:.0%} longest**",
        f"**{stats['shortest_correct_share']:.0%} shortest**",
        f"**grade {stats['max_grade']:.1f}** (`{stats['hardest_lesson']}`)",
        ", ".join(f"position {p + 1}: {share:.0%}" for p, share in stats["position_shares"].items()),
    ):
        assert figure in text, figure


def test_doc_lists_every_track_with_its_lesson_count():
    from portal.lessons.tracks import read_tracks

    text = DOC.read_text()
    for track in read_tracks():
        assert f"| `{track.role}` | {track.title} | {len(track.lessons)} |" in text
