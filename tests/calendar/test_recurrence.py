"""Wall-clock recurrence across daylight-saving changes, and times that do not exist or repeat."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from portal.calendar import recurrence
from portal.calendar.recurrence import LocalTimeError

NY = ZoneInfo("America/New_York")


def test_weekly_18_00_new_york_keeps_local_time_across_march_and_november():
    start = recurrence.localize(date(2027, 2, 23), time(18, 0), "America/New_York")
    rule = recurrence.build_rrule("weekly", start, until=date(2027, 11, 16))
    starts = recurrence.expand(start, rule)
    assert all(s.astimezone(NY).time() == time(18, 0) for s in starts)
    utc_hours = {s.date(): recurrence.to_utc(s).hour for s in starts}
    assert utc_hours[date(2027, 3, 9)] == 23  # EST, before 14 March
    assert utc_hours[date(2027, 3, 16)] == 22  # EDT after the spring change
    assert utc_hours[date(2027, 11, 2)] == 22  # still EDT
    assert utc_hours[date(2027, 11, 9)] == 23  # EST after 7 November
    assert starts[-1].date() == date(2027, 11, 16)


def test_viewers_elsewhere_see_their_own_local_time():
    start = recurrence.localize(date(2027, 3, 9), time(18, 0), "America/New_York")
    second = recurrence.expand(start, recurrence.build_rrule("weekly", start, count=2))[1]  # 16 March, EDT
    # London is still on GMT until 28 March, so the gap is 4 hours that week, 5 the week before.
    assert second.astimezone(ZoneInfo("Europe/London")).time() == time(22, 0)
    assert start.astimezone(ZoneInfo("Europe/London")).time() == time(23, 0)
    assert second.astimezone(ZoneInfo("America/Los_Angeles")).time() == time(15, 0)


@pytest.mark.parametrize(
    ("day", "clock", "kind"),
    [
        (date(2027, 3, 14), time(2, 30), "nonexistent"),
        (date(2026, 11, 1), time(1, 30), "ambiguous"),
        (date(2027, 11, 7), time(1, 30), "ambiguous"),
    ],
)
def test_skipped_and_repeated_wall_times_are_refused(day, clock, kind):
    with pytest.raises(LocalTimeError) as caught:
        recurrence.check_wall_time(recurrence.localize(day, clock, "America/New_York"))
    assert caught.value.kind == kind


def test_a_series_that_later_lands_in_the_gap_is_refused():
    start = recurrence.localize(date(2027, 3, 7), time(2, 30), "America/New_York")
    with pytest.raises(LocalTimeError):
        recurrence.check_all_wall_times(start, recurrence.build_rrule("weekly", start, count=3))


def test_monthly_by_weekday_and_last_weekday():
    first = recurrence.localize(date(2027, 1, 7), time(19, 0), "America/New_York")  # 1st Thursday
    rule = recurrence.build_rrule("monthly", first, count=4)
    assert "BYDAY=1TH" in rule
    assert [s.date() for s in recurrence.expand(first, rule)] == [
        date(2027, 1, 7),
        date(2027, 2, 4),
        date(2027, 3, 4),
        date(2027, 4, 1),
    ]
    fifth = recurrence.localize(date(2026, 12, 29), time(19, 0), "America/New_York")  # 5th Tuesday
    assert "BYDAY=-1TU" in recurrence.build_rrule("monthly", fifth, count=2)


def test_biweekly_and_until_is_inclusive_of_its_day():
    first = recurrence.localize(date(2026, 12, 1), time(18, 0), "America/New_York")
    rule = recurrence.build_rrule("biweekly", first, until=date(2026, 12, 29))
    assert [s.day for s in recurrence.expand(first, rule)] == [1, 15, 29]
    assert rule.endswith("Z") and "INTERVAL=2" in rule


def test_occurrence_keys_round_trip_and_reject_garbage():
    moment = datetime(2026, 12, 8, 23, 0, tzinfo=UTC)
    assert recurrence.parse_key(recurrence.occurrence_key(moment)) == moment
    for bad in ["", "x" * 16, "20261308T230000Z", "../../etc/passwd", "2026120823000Z", None]:
        assert recurrence.parse_key(bad) is None


def test_split_rule_by_count_and_until():
    first = recurrence.localize(date(2026, 12, 1), time(18, 0), "America/New_York")
    rule = recurrence.build_rrule("weekly", first, count=5)
    starts = [recurrence.to_utc(s) for s in recurrence.expand(first, rule)]
    split = recurrence.split_rule(rule, starts, 2)
    assert "COUNT=2" in split.before_rule and split.following_count == 3
    rule = recurrence.build_rrule("weekly", first, until=date(2026, 12, 29))
    split = recurrence.split_rule(rule, starts, 2)
    assert len(recurrence.expand(first, split.before_rule)) == 2 and split.following_count is None
