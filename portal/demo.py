"""The demo data (a contract: docs/architecture.md). Each feature adds its part in its own demo.seed(accounts)."""

from importlib import import_module

from portal.auth import services as auth_services
from portal.extensions import db
from portal.security import Role

DEMO_ACCOUNTS = [
    ("family@example.org", "Jordan (family)", {Role.FAMILY}),
    ("familia@example.org", "Lucía (familia)", {Role.FAMILY}),
    ("family2@example.org", "Alex (family)", {Role.FAMILY}),
    ("moderator@example.org", "Morgan", {Role.MODERATOR}),
    ("counselor@example.org", "Casey", {Role.COUNSELOR}),
    ("admin@example.org", "Avery", {Role.ADMIN}),
]

# Names earlier seeds gave the staff accounts, before display names could no longer claim a
# role (staff are shown with a badge from their role). An account that still carries exactly
# its old name gets the new one; a name a person chose since is kept.
FORMER_NAMES = {
    "moderator@example.org": "Morgan (moderator)",
    "counselor@example.org": "Casey (counselor)",
    "admin@example.org": "Avery (admin)",
}

# The language each demo account starts in (only when it is created: a person may change it since).
DEMO_LOCALES = {"familia@example.org": "es"}

FEATURE_SEEDS = ("care", "lessons", "rooms", "calendar")


def seed(password):
    """Create or refresh the demo data; returns lines describing what exists."""
    accounts = {}
    for email, name, roles in DEMO_ACCOUNTS:
        locale = DEMO_LOCALES.get(email, "en")
        accounts[email] = auth_services.ensure_demo_user(
            email, name, roles, password, locale=locale, former_name=FORMER_NAMES.get(email)
        )
    db.session.commit()
    lines = [f"account {email} ({', '.join(sorted(roles))})" for email, _, roles in DEMO_ACCOUNTS]
    for feature in FEATURE_SEEDS:
        module = import_module(f"portal.{feature}.demo")
        lines.extend(module.seed(accounts) or [])
        db.session.commit()
    return lines
