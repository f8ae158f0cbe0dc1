"""`flask care …`"""

import click
from flask.cli import with_appcontext

from portal.care.services import expire_consents

care = click.Group("care", help="Consents and family links (run `expire-consents` from cron).")


@care.command("expire-consents")
@with_appcontext
def expire_consents_command():
    """End and announce family links whose consent has expired (idempotent; safe to run often)."""
    count = expire_consents()
    click.echo(f"{count} family link(s) ended by consent expiry or end of enrollment")
