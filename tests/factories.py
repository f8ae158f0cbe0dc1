"""Small explicit builders for test data (used inside fixtures and tests)."""

import itertools

from portal.auth import services
from portal.extensions import db
from portal.security import Role

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_user(email=None, roles=(Role.FAMILY,), display_name=None, password=PASSWORD, verified=True,
              established=True, timezone="America/New_York", active=True):
    n = next(_counter)
    user = services.create_user(
        email or f"user{n}@example.org",
        password,
        display_name or f"Member {n}",
        {Role(r) for r in roles},
        timezone=timezone,
        verified=verified,
    )
    user.established = established
    user.active = active
    db.session.commit()
    return user
