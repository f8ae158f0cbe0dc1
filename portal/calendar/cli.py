"""`flask reminders …`"""

import click

reminders = click.Group("reminders", help="Session reminders (run `send` from cron).")
