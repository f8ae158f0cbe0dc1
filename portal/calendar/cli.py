"""`flask reminders …`"""

import click
from flask.cli import with_appcontext

from portal.calendar.reminders import send_due
from portal.care.services import expire_consents
from portal.mail.cli import require_base_url

reminders = click.Group("reminders", help="Session reminders (run `send` from cron).")


@reminders.command("send")
@with_appcontext
def send_command():
    """Queue reminder emails for sessions starting within REMINDER_LEAD_HOURS (safe to run often).

    Lapsed consents are announced first (as `flask care expire-consents` does), so a center that
    only runs this from cron still drops the replies and sockets of people whose consent expired.
    """
    require_base_url()
    ended = expire_consents()
    if ended:
        click.echo(f"{ended} family link(s) ended by consent expiry or end of enrollment")
    count = send_due()
    click.echo(f"{count} reminder(s) queued (the server sends them within a minute; `flask mail send` sends them now)")
