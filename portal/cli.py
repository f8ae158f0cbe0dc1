"""Command-line interface (a contract: docs/architecture.md): seed-demo, users, curriculum, reminders, care, mail,
notifications."""

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create the demo accounts, program, client, rooms, sessions and curriculum (idempotent)."""
    from portal import demo

    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("seed-demo refuses to run in production.")
    summary = demo.seed(current_app.config["DEMO_PASSWORD"])
    for line in summary:
        click.echo(line)


def register(app):
    from portal.auth.cli import users
    from portal.calendar.cli import reminders
    from portal.care.cli import care
    from portal.lessons.cli import curriculum
    from portal.mail.cli import mail_group
    from portal.notifications.cli import notifications

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(users)
    app.cli.add_command(curriculum)
    app.cli.add_command(reminders)
    app.cli.add_command(care)
    app.cli.add_command(mail_group)
    app.cli.add_command(notifications)
