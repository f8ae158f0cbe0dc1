"""`flask curriculum …`"""

from collections import Counter

import click
from flask.cli import with_appcontext

from portal.lessons import quality
from portal.lessons.content import TRANSLATED_LOCALES, ContentError
from portal.lessons.loader import load_curriculum
from portal.lessons.stats import curriculum_stats, translation_figures

curriculum = click.Group("curriculum", help="Manage the curriculum in portal/content/.")


@curriculum.command("load")
@click.option("--force", is_flag=True, help="Overwrite lessons and modules that were edited in the portal.")
@click.option("--path", type=click.Path(exists=True, file_okay=False), help="Another content folder.")
@with_appcontext
def load_command(force, path):
    """Upsert the curriculum files by slug (idempotent; learners' progress is kept)."""
    translations = Counter()
    try:
        report = load_curriculum(path, force=force, translations=translations)
    except ContentError as error:
        raise click.ClickException(str(error)) from error
    for key in sorted(report):
        click.echo(f"{key}: {report[key]}")
    for key in sorted(translations):
        click.echo(f"{key}: {translations[key]}")
    if report.get("lessons kept portal edits") or report.get("modules kept portal edits"):
        click.echo("Some items were edited in the portal and kept; use --force to overwrite them.")


@curriculum.command("stats")
@click.option("--path", type=click.Path(exists=True, file_okay=False), help="Another content folder.")
def stats_command(path):
    """Print modules, lessons, words, reading grades and the knowledge-check figures (needs textstat)."""
    stats = curriculum_stats(path)
    for module in stats["modules"]:
        click.echo(f"{module['order']}. {module['title']} — {module['lessons']} lessons, {module['words']} words")
    click.echo(f"modules: {len(stats['modules'])}")
    click.echo(f"lessons: {stats['lessons']}")
    click.echo(f"words: {stats['words']}")
    from portal.lessons.worksheets import WORKSHEETS

    click.echo(f"worksheets: {len(WORKSHEETS)} (bound: at least 6)")
    click.echo(f"median Flesch-Kincaid grade: {stats['median_grade']:.1f} (syllables: {stats['syllable_source']})")
    click.echo(
        f"highest Flesch-Kincaid grade: {stats['max_grade']:.1f} ({stats['hardest_lesson']}; "
        f"bound: at most {quality.MAX_GRADE:g})"
    )
    click.echo(f"lessons with a Sources section: {stats['lessons_with_sources']} of {stats['lessons']}")
    click.echo(f"lessons with a practice: {stats['lessons_with_practice']} of {stats['lessons']} (bound: every lesson)")
    click.echo(f"questions: {stats['questions']} (bound: at least {quality.MIN_QUESTIONS} per lesson)")
    click.echo(f"questions with feedback for every choice: {stats['with_feedback']} of {stats['questions']}")
    click.echo(f"scenario questions: {stats['scenario_share']:.0%} (bound: at least {quality.MIN_SCENARIO_SHARE:.0%})")
    click.echo(
        f"correct option is the longest: {stats['longest_correct_share']:.0%} "
        f"(bound: at most {quality.MAX_LONGEST_CORRECT_SHARE:.0%})"
    )
    click.echo(
        f"correct option is the shortest: {stats['shortest_correct_share']:.0%} "
        f"(bound: at most {quality.MAX_SHORTEST_CORRECT_SHARE:.0%})"
    )
    positions = ", ".join(f"{p + 1}: {share:.0%}" for p, share in stats["position_shares"].items())
    click.echo(f"correct answer positions: {positions} (bound: each at most {quality.MAX_POSITION_SHARE:.0%})")
    from portal.lessons.content import ContentError
    from portal.lessons.tracks import read_tracks

    try:
        tracks = read_tracks(path)
    except ContentError as error:
        tracks = []
        stats["problems"].append(str(error))
    click.echo(f"tracks: {len(tracks)}")
    for track in tracks:
        click.echo(f"  track {track.role}: {len(track.lessons)} lessons")
    click.echo(f"problems: {len(stats['problems'])}")
    for problem in stats["problems"]:
        click.echo(f"  - {problem}")
    for locale in TRANSLATED_LOCALES:
        _echo_translations(locale, path)


def _echo_translations(locale, path):
    """The translation figures of one language: counts, then each stale or missing file."""
    try:
        figures = translation_figures(locale, path)
    except ContentError as error:
        click.echo(f"translations {locale}: unreadable ({error})")
        return
    counts = ", ".join(f"{len(figures[state])} {state}" for state in ("translated", "stale", "missing"))
    click.echo(f"translations {locale}: {counts}")
    for state in ("stale", "missing"):
        for name in figures[state]:
            click.echo(f"  - {locale} {state}: {name}")
    click.echo(f"translation problems {locale}: {len(figures['problems'])}")
    for problem in figures["problems"]:
        click.echo(f"  - {problem}")
