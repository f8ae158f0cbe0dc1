"""`flask notifications …`"""

import click
from flask.cli import with_appcontext

from portal.mail.cli import require_base_url
from portal.notifications.services import send_digests

notifications = click.Group("notifications", help="Notices (run `digest` from cron, e.g. daily).")


@notifications.command("digest")
@with_appcontext
def digest_command():
    """Queue one email per person with the notices waiting for their daily digest (safe to run often:
    a person gets at most one digest a day, and nothing twice)."""
    require_base_url()
    count = send_digests()
    click.echo(f"{count} digest email(s) queued (the server sends them within a minute; `flask mail send` now)")
