"""`flask reminders …`"""

import click
from flask.cli import with_appcontext

reminders = click.Group("reminders", help="Session reminders (run `send` from cron).")


@reminders.command("send")
@with_appcontext
def send_command():
    """Email reminders for sessions starting within REMINDER_LEAD_HOURS (safe to run often)."""
    from portal.calendar.reminders import send_due

    count = send_due()
    click.echo(f"{count} reminder(s) sent")
