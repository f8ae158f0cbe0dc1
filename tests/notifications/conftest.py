"""Notification fixtures: a family member linked to Sam and a weekly series for Sam's family."""

import pytest

from tests.calendar.conftest import make_series
from tests.factories import link_family, make_user
from tests.rooms.conftest import welcome  # noqa: F401 — the Welcome room, for moderation notices


@pytest.fixture
def linked_family(sam, counselor):
    """Jordan, linked to Sam, reading in Los Angeles time (the series runs in New York time)."""
    user = make_user(email="family@example.org", display_name="Jordan", timezone="America/Los_Angeles")
    link_family(user, sam, witness=counselor)
    return user


@pytest.fixture
def stranger(app):
    return make_user(email="family2@example.org", display_name="Alex")


@pytest.fixture
def series(counselor, sam, linked_family):
    return make_series(counselor, client=sam, notify=False)
