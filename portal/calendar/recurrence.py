"""Recurrence rules (RFC 5545 RRULE via dateutil) and wall-clock times in IANA zones.

Occurrences are generated as aware datetimes in the series' zone, so a weekly 18:00 session
stays at 18:00 local time across daylight-saving changes; they are stored and compared in UTC.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
MAX_OCCURRENCES = 200


class Repeat:
    NONE = "none"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class LocalTimeError(ValueError):
    """A wall-clock time that does not exist, or exists twice, in the zone."""

    def __init__(self, kind, when):
        super().__init__(kind)
        self.kind = kind  # "nonexistent" or "ambiguous"
        self.when = when


def _utc_stamp(value):
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def build_rrule(repeat, first_local, until=None, count=None):
    """The RRULE value for a repeat choice ("" for a single session).

    `until` is a local date (sessions on that day still happen), `count` a number of sessions.
    """
    if repeat == Repeat.NONE:
        return ""
    parts = {
        Repeat.WEEKLY: ["FREQ=WEEKLY"],
        Repeat.BIWEEKLY: ["FREQ=WEEKLY", "INTERVAL=2"],
        Repeat.MONTHLY: [
            "FREQ=MONTHLY",
            f"BYDAY={monthly_position(first_local.date())}{WEEKDAYS[first_local.weekday()]}",
        ],
    }[repeat]
    if count:
        parts.append(f"COUNT={int(count)}")
    elif until:
        end_of_day = datetime.combine(until, time(23, 59, 59), tzinfo=first_local.tzinfo)
        parts.append(f"UNTIL={_utc_stamp(end_of_day)}")
    return ";".join(parts)


def monthly_position(day: date):
    """1..4 for the nth weekday of the month, -1 for the last one (so "5th Tuesday" never vanishes)."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth


def describe_repeat(rule):
    """The repeat choice a rule came from (for forms)."""
    if not rule:
        return Repeat.NONE
    if "FREQ=MONTHLY" in rule:
        return Repeat.MONTHLY
    return Repeat.BIWEEKLY if "INTERVAL=2" in rule else Repeat.WEEKLY


def rule_parts(rule):
    return dict(part.split("=", 1) for part in rule.split(";") if "=" in part) if rule else {}


def expand(first_start, rule, *, after=None, before=None, limit=MAX_OCCURRENCES):
    """Starts (aware, in the series' zone) from the rule, optionally within [after, before)."""
    if not rule:
        starts = [first_start]
    else:
        starts = list(rrulestr(rule, dtstart=first_start, cache=False, forceset=False)[:limit])
    starts = [normalize(s) for s in starts]
    return [s for s in starts if (after is None or s >= after) and (before is None or s < before)]


def normalize(local):
    """Re-attach the zone so fold and offset reflect the wall-clock time."""
    return local.replace(tzinfo=local.tzinfo)


def check_wall_time(local):
    """Raise LocalTimeError if the wall-clock time is skipped or repeated by a clock change."""
    zone = local.tzinfo
    naive = local.replace(tzinfo=None)
    early = naive.replace(tzinfo=zone, fold=0)
    late = naive.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        round_trip = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        raise LocalTimeError("nonexistent" if round_trip != naive else "ambiguous", naive)


def check_all_wall_times(first_start, rule):
    for start in expand(first_start, rule):
        check_wall_time(start)


def to_utc(local):
    return local.astimezone(UTC)


def localize(day: date, clock: time, zone_name):
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone_name))


def occurrence_key(original_start_utc):
    """The URL-safe key of an occurrence: its original start in UTC, e.g. 20261208T230000Z."""
    return _utc_stamp(original_start_utc)


def parse_key(key):
    try:
        if len(key) != 16:
            return None
        return datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


@dataclass
class Split:
    """The two rules a series becomes when "this and following" changes it from one occurrence."""

    before_rule: str
    following_count: int | None


def split_rule(rule, starts, index):
    """Rule for the occurrences before `index`; the count left for the new series (if count-based)."""
    parts = rule_parts(rule)
    remaining = None
    if "COUNT" in parts:
        remaining = int(parts["COUNT"]) - index
        parts["COUNT"] = str(index)
    else:
        parts.pop("UNTIL", None)
        parts["UNTIL"] = _utc_stamp(starts[index] - timedelta(seconds=1))
    return Split(";".join(f"{k}={v}" for k, v in parts.items()), remaining)
