"""`flask mail …`: deliver the outgoing-mail queue from cron or by hand."""

import click
from flask import current_app
from flask.cli import with_appcontext

mail_group = click.Group("mail", help="The outgoing-mail queue (the server delivers it; `send` for cron).")


def require_base_url():
    """Production refuses to write emailed links without PORTAL_BASE_URL: they would point to
    the development default (http://127.0.0.1:5000), whatever the real address is."""
    config = current_app.config
    if config["PORTAL_ENV"] == "production" and not config.get("PORTAL_BASE_URL_SET"):
        raise click.ClickException(
            "PORTAL_BASE_URL is not set: emailed links would point to "
            f"{config['PORTAL_BASE_URL']}. Set it to the portal's public address (docs/deploy.md)."
        )


@mail_group.command("send")
@with_appcontext
def send_command():
    """Send every queued message that is due; exits 1, saying why, when some could not be sent."""
    from portal.mail import deliver_due, oldest_pending_age

    require_base_url()
    report = deliver_due()
    click.echo(f"{report.sent} message(s) sent")
    if not report.ok:
        raise click.ClickException(
            f"{report.retrying} message(s) not delivered and queued for a retry, {report.failed} given up "
            f"(see Admin → Outgoing mail); last error: {report.errors[-1]}"
        )
    waiting = oldest_pending_age()
    if waiting:
        click.echo(f"messages wait for a retry; the oldest was queued {waiting} s ago")
