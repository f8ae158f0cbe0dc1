"""The accounting of disclosures a client can be given (42 CFR 2.24), built from the audit log.

Disclosures are grouped by the person who saw something, then by day (in the program's time
zone) with a count; every consent change is listed one by one. Labels are plain language,
translated for the reader. Producing the accounting is itself audited (`accounting.produced`).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.audit import AuditEvent
from portal.auth.models import User
from portal.care.models import Consent
from portal.clock import utcnow
from portal.extensions import db

# Part 2 asks for the disclosures of the past three years; a younger enrollment starts there.
DEFAULT_YEARS = 3
FORMATS = ("html", "pdf", "csv")

DISCLOSURE_LABELS = {
    "disclosure.my_family": _l("Saw the My family page (the client's name, what is shared and until when)"),
    "disclosure.invitation": _l("Saw the invitation (the client's name and what would be shared)"),
    "disclosure.calendar_dashboard": _l("Saw the family-session calendar on their home page"),
    "disclosure.calendar_agenda": _l("Saw the family-session calendar"),
    "disclosure.calendar_month": _l("Saw the family-session calendar (month view)"),
    "disclosure.calendar_session": _l("Opened the page of a family session"),
    "disclosure.calendar_ics": _l("Saved a family session to their own calendar"),
    "disclosure.calendar_feed": _l("Subscribed calendar feed was read"),
    "disclosure.calendar_notifications": _l("Saw changes to family sessions"),
    "disclosure.calendar_reminder": _l("Was emailed a family-session reminder"),
}
OTHER_DISCLOSURE = _l("Saw information about the client in the portal")

CHANGE_LABELS = {
    "consent.signed": _l("Consent signed"),
    "consent.revoked": _l("Consent revoked"),
    "invitation.sent": _l("Invitation emailed to the person named in the consent"),
    "invitation.cancelled": _l("Invitation cancelled"),
    "invitation.accepted": _l("Invitation accepted; the person could now see what the consent allows"),
    "family_link.left": _l("The family member stopped seeing information (they left the link)"),
    "family_link.ended": _l("Access ended"),
    "client.created": _l("Client added to the portal"),
    "client.updated": _l("Client details changed"),
    "client.transferred": _l("Client moved to another program; consents naming the old program stopped"),
    "client.completed": _l("Enrollment completed; every consent's access ended"),
    "client.discharged": _l("Discharged; every consent's access ended"),
}
OTHER_CHANGE = _l("Other change to a consent")
CHANGE_PREFIXES = ("consent.", "invitation.", "family_link.", "client.")

REVOCATION_METHODS = {"in_person": _l("in person"), "phone": _l("by phone"), "writing": _l("in writing")}
END_REASONS = {
    "consent_expired": _l("the consent expired"),
    "enrollment_ended": _l("the enrollment ended"),
    "consent_revoked": _l("the consent was revoked"),
    "program_changed": _l("the client moved to another program"),
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def bounds(self, zone):
        """The period as [first instant, instant after the last day) in UTC."""
        first = datetime.combine(self.start, time(), zone)
        after = datetime.combine(self.end + timedelta(days=1), time(), zone)
        return first, after


@dataclass
class DisclosureRow:
    day: date
    what: str
    count: int


@dataclass
class Person:
    name: str
    rows: list[DisclosureRow] = field(default_factory=list)


@dataclass
class Change:
    at: datetime
    what: str
    who: str
    consent: str


@dataclass
class Accounting:
    client: object
    period: Period
    zone: ZoneInfo
    people: list[Person]
    changes: list[Change]


def client_today(client, now=None):
    """Today in the client's program's time zone (the zone the accounting is written in)."""
    return (now or utcnow()).astimezone(ZoneInfo(client.program.timezone)).date()


def default_period(client, today):
    """The last three years, or since the client was enrolled (or added) if that is later."""
    enrolled = client.enrollment_start
    if client.created_at is not None:
        enrolled = min(enrolled, client.created_at.astimezone(ZoneInfo(client.program.timezone)).date())
    three_years = _years_before(today, DEFAULT_YEARS)
    return Period(start=min(max(enrolled, three_years), today), end=today)


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def build_accounting(client, period):
    """Disclosures grouped by person and day, and every consent change, within the period."""
    zone = ZoneInfo(client.program.timezone)
    first, after = period.bounds(zone)
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.client_id == client.id, AuditEvent.at >= first, AuditEvent.at < after)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    users = _users({e.actor_id for e in events if e.actor_id})
    consents = {c.id: c for c in db.session.scalars(sa.select(Consent).where(Consent.client_id == client.id))}
    disclosures = [e for e in events if e.action.startswith("disclosure.")]
    changes = [e for e in events if e.action.startswith(CHANGE_PREFIXES)]
    return Accounting(
        client=client,
        period=period,
        zone=zone,
        people=_people(disclosures, users, consents, zone),
        changes=[_change(e, users, consents, zone) for e in changes],
    )


def _users(ids):
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def _person_name(user, consent):
    """How the client knows the person: as the consent names them, else the account's name."""
    if consent is not None:
        return f"{consent.recipient_name} ({consent.recipient_relationship})"
    return user.display_name if user is not None else str(_l("Unknown person"))


def _people(disclosures, users, consents, zone):
    names, counts = {}, Counter()
    for event in disclosures:
        names.setdefault(event.actor_id, _person_name(users.get(event.actor_id), consents.get(event.consent_id)))
        day = event.at.astimezone(zone).date()
        counts[(event.actor_id, day, str(DISCLOSURE_LABELS.get(event.action, OTHER_DISCLOSURE)))] += 1
    people = {actor_id: Person(name=name) for actor_id, name in names.items()}
    for (actor_id, day, what), count in sorted(counts.items(), key=lambda item: (item[0][1], item[0][2])):
        people[actor_id].rows.append(DisclosureRow(day=day, what=what, count=count))
    return sorted(people.values(), key=lambda person: person.name.casefold())


def _change(event, users, consents, zone):
    what = str(CHANGE_LABELS.get(event.action, OTHER_CHANGE))
    detail = event.detail or {}
    if event.action == "consent.revoked" and detail.get("method") in REVOCATION_METHODS:
        what = f"{what} ({REVOCATION_METHODS[detail['method']]})"
    if event.action == "family_link.ended" and detail.get("reason") in END_REASONS:
        what = f"{what}: {END_REASONS[detail['reason']]}"
    actor = users.get(event.actor_id)
    consent = consents.get(event.consent_id)
    return Change(
        at=event.at.astimezone(zone),
        what=what,
        who=actor.display_name if actor is not None else str(_l("The portal, automatically")),
        consent=str(_l("Consent to %(name)s", name=_person_name(None, consent))) if consent else "",
    )


def record_produced(client, *, actor, output, period):
    """Audit that someone produced the accounting (in which format, for which period) and commit."""
    audit.record(
        "accounting.produced",
        actor=actor,
        object_type="clients",
        object_id=client.id,
        client_id=client.id,
        detail={"format": output, "from": period.start.isoformat(), "to": period.end.isoformat()},
    )
    db.session.commit()
