"""Calendar fixtures: a family member linked to Sam (tests/conftest.py has the counselor, program and Sam),
an unlinked one, and a series."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.calendar import recurrence
from portal.calendar.services import SeriesDetails, SeriesTiming, create_series
from tests.factories import link_family, make_user

NY = ZoneInfo("America/New_York")


@pytest.fixture
def linked_family(sam, counselor):
    """Jordan, linked to Sam by a consent `counselor` witnessed (the demo family's address)."""
    user = make_user(email="family@example.org", display_name="Jordan")
    link_family(user, sam, witness=counselor)
    return user


@pytest.fixture
def stranger(app):
    return make_user(email="family2@example.org", display_name="Alex")


def next_weekday(weekday, after=None):
    """The first date after `after` (default today) falling on weekday (0 = Monday)."""
    day = (after or date.today()) + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def make_series(
    author,
    *,
    client=None,
    program=None,
    first=None,
    at=time(18, 0),
    zone="America/New_York",
    repeat="weekly",
    count=6,
    until=None,
    mode="telehealth",
    capacity=None,
    title="Family session",
    join_url="https://video.example.org/room-1",
    address="12 Elm Street",
    address_in_feeds=False,
    notify=True,
):
    first = first or next_weekday(1)
    start = recurrence.localize(first, at, zone)
    rule = recurrence.build_rrule(repeat, start, until=until, count=None if until else count)
    details = SeriesDetails(
        title=title,
        description="Bring **questions**.",
        duration_minutes=60,
        mode=mode,
        address=address if mode == "in_person" else "",
        address_in_feeds=address_in_feeds,
        join_url=join_url if mode == "telehealth" else "",
        capacity=capacity,
    )
    return create_series(
        author,
        details,
        SeriesTiming(start, rule),
        client_id=client.id if client else None,
        program_id=program.id if program else None,
        notify=notify,
    )


@pytest.fixture
def series(counselor, sam, linked_family):
    return make_series(counselor, client=sam)


def at_ny(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=NY)
