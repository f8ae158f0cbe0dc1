"""`flask users create`: real accounts from the command line."""

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from portal import audit
from portal.auth import services
from portal.auth.names import display_name_problems
from portal.auth.passwords import password_problems
from portal.extensions import db
from portal.security import Role

users = click.Group("users", help="Manage user accounts.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="Display name shown in rooms.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", help="Prompted for when omitted.")
@click.option("--timezone", default="America/New_York", show_default=True)
def create_user_command(email, display_name, roles, password, timezone):
    """Create a verified account with the given roles."""
    # The rules speak through gettext, whose locale selector expects a request.
    with current_app.test_request_context():
        _create(email, display_name, roles, password, timezone)


def _create(email, display_name, roles, password, timezone):
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.ClickException(f"Not a usable email address: {error}") from None
    if services.find_user_by_email(email) is not None:
        raise click.ClickException(f"An account for {email} already exists.")
    name_problems = display_name_problems(display_name)
    if name_problems:
        raise click.ClickException(" ".join(name_problems))
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problems = password_problems(password, [email, display_name])
    if problems:
        raise click.ClickException(" ".join(problems))
    user = services.create_user(
        email, password, display_name, {Role(r) for r in roles}, timezone=timezone, verified=True
    )
    db.session.flush()
    audit.record("user.created", obj=user, detail={"via": "cli", "roles": sorted(roles)})
    db.session.commit()
    click.echo(f"Created {user.email} with roles {', '.join(sorted(roles))}.")
