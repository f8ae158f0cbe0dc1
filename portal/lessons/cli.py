"""`flask curriculum …`"""

import click
from flask.cli import with_appcontext

from portal.lessons.content import ContentError
from portal.lessons.loader import load_curriculum
from portal.lessons.stats import curriculum_stats

curriculum = click.Group("curriculum", help="Manage the curriculum in portal/content/.")


@curriculum.command("load")
@click.option("--force", is_flag=True, help="Overwrite lessons and modules that were edited in the portal.")
@click.option("--path", type=click.Path(exists=True, file_okay=False), help="Another content folder.")
@with_appcontext
def load_command(force, path):
    """Upsert the curriculum files by slug (idempotent; learners' progress is kept)."""
    try:
        report = load_curriculum(path, force=force)
    except ContentError as error:
        raise click.ClickException(str(error)) from error
    for key in sorted(report):
        click.echo(f"{key}: {report[key]}")
    if report.get("lessons kept portal edits") or report.get("modules kept portal edits"):
        click.echo("Some items were edited in the portal and kept; use --force to overwrite them.")


@curriculum.command("stats")
@click.option("--path", type=click.Path(exists=True, file_okay=False), help="Another content folder.")
def stats_command(path):
    """Print modules, lesson count, words and median reading grade (needs textstat)."""
    stats = curriculum_stats(path)
    for module in stats["modules"]:
        click.echo(f"{module['order']}. {module['title']} — {module['lessons']} lessons, {module['words']} words")
    click.echo(f"lessons: {stats['lessons']}")
    click.echo(f"words: {stats['words']}")
    click.echo(f"median Flesch-Kincaid grade: {stats['median_grade']:.1f} (syllables: {stats['syllable_source']})")
