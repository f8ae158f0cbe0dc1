"""`flask curriculum …`"""

import click

curriculum = click.Group("curriculum", help="Manage the curriculum in portal/content/.")
