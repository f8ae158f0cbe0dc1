import pytest

from portal.security import Role
from tests.factories import make_user


@pytest.fixture
def signed_in_admin(auth):
    """A signed-in admin."""
    user = make_user(email="avery@example.org", roles=(Role.ADMIN,), display_name="Avery")
    auth.login("avery@example.org")
    return user


def quick_users(count, roles=(Role.FAMILY,)):
    """Many users fast: a placeholder hash that no password matches (these never sign in)."""
    import itertools

    from portal.auth.models import User
    from portal.extensions import db

    users = []
    for n in itertools.islice(itertools.count(quick_users.counter), count):
        user = User(email=f"quick{n}@example.org", password_hash="!", display_name=f"Person {n:03d}")
        for role in roles:
            user.add_role(role)
        users.append(user)
    quick_users.counter += count
    db.session.add_all(users)
    db.session.commit()
    return users


quick_users.counter = 0
