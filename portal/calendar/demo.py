"""Demo data for calendar (docs/architecture.md): Sam's family's weekly session and a monthly family group.

Idempotent: a series that already exists for Sam's family (or the program's "Family group") is
left as it is. The program and client come from the care demo (created if it has not run).
"""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from portal.calendar import recurrence
from portal.calendar.models import SessionSeries
from portal.calendar.services import SeriesDetails, SeriesTiming, create_series
from portal.care import demo as care_demo
from portal.care.access import consent_today
from portal.care.demo import CLIENT, PROGRAM
from portal.extensions import db

ZONE = "America/New_York"
GROUP_TITLE = "Family group"


def first_weekday_on_or_after(day, weekday):
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def weeks_across_next_change(first, zone_name, minimum=20):
    """How many weekly sessions from `first` run at least four weeks past the next clock change."""
    zone = ZoneInfo(zone_name)
    start = recurrence.localize(first, time(18, 0), zone_name)
    for week in range(1, 60):
        if (start + timedelta(weeks=week)).astimezone(zone).utcoffset() != start.utcoffset():
            return max(minimum, week + 4)
    return minimum


def _weekly_for_family(counselor, client, today):
    first = first_weekday_on_or_after(max(today + timedelta(days=1), date(2026, 12, 1)), 1)  # a Tuesday
    start = recurrence.localize(first, time(18, 0), ZONE)
    rule = recurrence.build_rrule("weekly", start, count=weeks_across_next_change(first, ZONE))
    details = SeriesDetails(
        title="Family session",
        duration_minutes=60,
        mode="telehealth",
        join_url="https://meet.example.org/family-session-demo",
        description="A weekly family session with Casey. Bring anything you would like to talk about.",
        lesson_slugs=["positive-communication", "why-trust-breaks"],
    )
    return create_series(counselor, details, SeriesTiming(start, rule), client_id=client.id, notify=False)


def _monthly_group(counselor, program, today):
    first_of_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    first = first_weekday_on_or_after(first_of_next, 3)  # the first Thursday
    start = recurrence.localize(first, time(19, 0), ZONE)
    rule = recurrence.build_rrule("monthly", start, count=6)
    details = SeriesDetails(
        title=GROUP_TITLE,
        duration_minutes=90,
        mode="in_person",
        address="Community Room, 200 Main Street",
        capacity=20,
        description="An evening for families to meet each other, with two counselors.",
    )
    return create_series(counselor, details, SeriesTiming(start, rule), program_id=program.id, notify=False)


def seed(accounts):
    """Create this feature's demo rows (idempotent); returns lines for the CLI to print."""
    counselor = accounts["counselor@example.org"]
    today = consent_today()
    program, client = care_demo.program_and_client(counselor, today)
    lines = []
    weekly = db.session.scalar(sa.select(SessionSeries).filter_by(client_id=client.id))
    if weekly is None:
        weekly = _weekly_for_family(counselor, client, today)
    lines.append(
        f"calendar: weekly family session for {CLIENT}'s family from {weekly.start_local:%Y-%m-%d %H:%M} "
        f"{ZONE} ({weekly.rrule})"
    )
    group = db.session.scalar(sa.select(SessionSeries).filter_by(program_id=program.id, title=GROUP_TITLE))
    if group is None:
        group = _monthly_group(counselor, program, today)
    lines.append(
        f"calendar: monthly {GROUP_TITLE} for {PROGRAM} from {group.start_local:%Y-%m-%d %H:%M} ({group.rrule})"
    )
    return lines
