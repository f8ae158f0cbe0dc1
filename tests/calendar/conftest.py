"""Calendar fixtures: a counselor, Evening-style program, a client, a linked and an unlinked family member."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.calendar import recurrence
from portal.calendar.services import SeriesDetails, SeriesTiming, create_series
from portal.security import Role
from tests.factories import link_family, make_client, make_program, make_user

NY = ZoneInfo("America/New_York")


@pytest.fixture
def counselor(app):
    return make_user(email="counselor@example.org", roles=(Role.COUNSELOR,), display_name="Casey")


@pytest.fixture
def program(counselor):
    return make_program(name="Evening IOP", counselors=[counselor])


@pytest.fixture
def client_record(program, counselor):
    return make_client(program=program, full_name="Sam Rivera", counselor=counselor)


@pytest.fixture
def family(client_record, counselor):
    user = make_user(email="family@example.org", display_name="Jordan")
    link_family(user, client_record, witness=counselor)
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
def series(counselor, client_record, family):
    return make_series(counselor, client=client_record)


def at_ny(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=NY)
