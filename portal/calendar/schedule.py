"""Who may see which series, and the occurrences a series has once its changes are applied.

Family visibility always comes from portal.care.access (consent valid *now*); counselors see
the series of the clients and programs they manage.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import defaultload, joinedload, lazyload

from portal.calendar.models import SessionSeries
from portal.calendar.recurrence import expand, occurrence_key, to_utc
from portal.care import access
from portal.care.models import Client, Consent, FamilyLink, Program, program_counselors
from portal.clock import utcnow
from portal.extensions import db
from portal.security import Role


@dataclass
class Occurrence:
    series: SessionSeries
    original_start: datetime  # UTC: the key
    start: datetime  # UTC, after any move
    cancelled: bool = False
    cancel_reason: str = ""
    join_url: str = ""
    address: str = ""
    moved: bool = False
    sequence: int = 0
    changed: bool = False

    @property
    def key(self):
        return occurrence_key(self.original_start)

    @property
    def end(self):
        return self.start + self.series.duration

    @property
    def local_start(self):
        """The start in the session's own zone."""
        return self.start.astimezone(self.series.zone)

    @property
    def telehealth(self):
        return self.series.mode == "telehealth"


def _build(series, original, override):
    occurrence = Occurrence(
        series, original, original, join_url=series.join_url, address=series.address, sequence=series.sequence
    )
    if override is not None:
        occurrence.changed = True
        occurrence.cancelled = override.cancelled
        occurrence.cancel_reason = override.cancel_reason
        occurrence.sequence = override.sequence
        if override.new_start is not None and override.new_start != original:
            occurrence.start, occurrence.moved = override.new_start, True
        occurrence.join_url = override.join_url if override.join_url is not None else series.join_url
        occurrence.address = override.address if override.address is not None else series.address
    return occurrence


def original_starts(series):
    """Every original start of the series (UTC), in order."""
    return [to_utc(local) for local in expand(series.start, series.rrule)]


def occurrences_of(series, after=None, before=None, include_cancelled=True):
    """The series' occurrences whose (possibly moved) start falls in [after, before)."""
    overrides = {o.original_start: o for o in series.overrides}
    result = []
    for original in original_starts(series):
        occurrence = _build(series, original, overrides.get(original))
        if occurrence.cancelled and not include_cancelled:
            continue
        if (after is None or occurrence.end > after) and (before is None or occurrence.start < before):
            result.append(occurrence)
    return result


def find_occurrence(series, original_start):
    """The occurrence with this original start, or None if the rule never produces it."""
    if original_start not in original_starts(series):
        return None
    overrides = {o.original_start: o for o in series.overrides}
    return _build(series, original_start, overrides.get(original_start))


def occurrences_in(series_list, after, before, include_cancelled=True):
    found = []
    for series in series_list:
        found.extend(occurrences_of(series, after, before, include_cancelled))
    return sorted(found, key=lambda o: (o.start, o.series.id))


# --- family visibility -------------------------------------------------------------------------


@dataclass
class FamilyView:
    """The series a family member may see right now, and the link that allows each."""

    series: list = field(default_factory=list)
    client_links: dict = field(default_factory=dict)
    program_links: dict = field(default_factory=dict)

    def link_for(self, series):
        if series.client_id is not None:
            return self.client_links.get(series.client_id)
        return self.program_links.get(series.program_id)

    def links_used(self, series_list):
        used = {}
        for series in series_list:
            link = self.link_for(series)
            if link is not None:
                used[link.id] = link
        return list(used.values())


def family_view(user, now=None):
    """Series visible to user through currently valid consents (one query for links, one for series)."""
    view = FamilyView()
    for link in access.active_links(user, now):
        view.client_links.setdefault(link.client_id, link)
        view.program_links.setdefault(link.client.program_id, link)
    if not view.client_links:
        return view
    query = (
        sa.select(SessionSeries)
        .where(
            sa.or_(
                SessionSeries.client_id.in_(view.client_links),
                SessionSeries.program_id.in_(view.program_links),
            )
        )
        # Family pages show the series and their changes (overrides, joined into this statement);
        # the counselors of the series, client and program are loaded only where a page reads them.
        .options(
            joinedload(SessionSeries.overrides),
            lazyload(SessionSeries.counselors),
            defaultload(SessionSeries.client).defaultload(Client.program).lazyload(Program.counselors),
            defaultload(SessionSeries.program).lazyload(Program.counselors),
        )
    )
    view.series = list(db.session.scalars(query).unique())
    return view


def family_link_for_series(user, series, now=None):
    """The link through which user may see this series now, or None."""
    if series.client_id is not None:
        return access.link_for_client(user, series.client_id, now)
    for link in access.active_links(user, now):
        if link.client.program_id == series.program_id:
            return link
    return None


def linked_family(series, now=None):
    """Users who may see this series now: {user_id: link}."""
    query = (
        sa.select(FamilyLink)
        .join(FamilyLink.consent)
        .where(FamilyLink.ended_at.is_(None), Consent.revoked_at.is_(None))
    )
    if series.client_id is not None:
        query = query.where(FamilyLink.client_id == series.client_id)
    else:
        query = query.join(Client, FamilyLink.client_id == Client.id).where(Client.program_id == series.program_id)
    today = access.consent_today(now)
    links = {}
    for link in db.session.scalars(query).unique():
        if link.consent.is_valid(today):
            links.setdefault(link.user_id, link)
    return links


# --- counselor visibility ----------------------------------------------------------------------


def managed_client_ids(user):
    return set(db.session.scalars(access.clients_for_counselor(user).with_only_columns(Client.id)))


def managed_program_ids(user):
    query = sa.select(Program.id)
    if not user.has_role(Role.ADMIN):
        query = query.join(program_counselors).where(program_counselors.c.user_id == user.id)
    return set(db.session.scalars(query))


def managed_series(user):
    clients, programs = managed_client_ids(user), managed_program_ids(user)
    query = (
        sa.select(SessionSeries)
        .where(sa.or_(SessionSeries.client_id.in_(clients or [0]), SessionSeries.program_id.in_(programs or [0])))
        .order_by(SessionSeries.start_local)
    )
    return list(db.session.scalars(query).unique())


def may_manage(user, series):
    if series.client_id is not None:
        return series.client_id in managed_client_ids(user)
    return series.program_id in managed_program_ids(user)


def upcoming_window(weeks=8, now=None):
    now = now or utcnow()
    return now, now + timedelta(weeks=weeks)
