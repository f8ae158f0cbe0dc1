"""The personal iCalendar feed: valid RFC 5545, the same schedule as the portal, consent at fetch."""

import re
from datetime import timedelta

import recurring_ical_events
import sqlalchemy as sa
from icalendar import Calendar

from portal.audit import AuditEvent
from portal.calendar import feeds
from portal.calendar.schedule import family_view, occurrences_in, occurrences_of
from portal.calendar.services import cancel_one, change_one
from portal.care.models import Consent
from portal.clock import utcnow
from portal.extensions import db
from tests.calendar.conftest import make_series


def _feed_path(user):
    return f"/calendar/feed/{feeds.feed_token(user)}.ics"


def _expand(data, start, end):
    cal = Calendar.from_ical(data)
    return cal, recurring_ical_events.of(cal).between(start, end)


def test_feed_matches_portal_with_cancellation_and_move(client, counselor, linked_family, series, program):
    group = make_series(counselor, program=program, repeat="monthly", count=3, mode="in_person", title="Group")
    occs = occurrences_of(series)
    cancel_one(counselor, series, occs[1].original_start, "Counselor is unwell")
    moved_to = occs[3].start.astimezone(series.zone) + timedelta(days=1, hours=1)
    change_one(counselor, series, occs[3].original_start, new_start_local=moved_to)
    change_one(counselor, series, occs[4].original_start, join_url="https://video.example.org/other")

    response = client.get(_feed_path(linked_family))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(days=400)
    cal, events = _expand(response.data, start, end)
    from_feed = sorted(e.decoded("dtstart") for e in events)
    portal = sorted(
        o.start for o in occurrences_in(family_view(linked_family).series, start, end, include_cancelled=False)
    )
    assert from_feed == portal
    assert occs[1].start not in from_feed and moved_to in from_feed
    assert len(portal) == 6 - 1 + 3

    masters = [e for e in cal.walk("VEVENT") if "RRULE" in e]
    assert {str(m["uid"]) for m in masters} == {f"session-{series.id}@localhost", f"session-{group.id}@localhost"}
    master = next(m for m in masters if str(m["uid"]).startswith(f"session-{series.id}@"))
    assert master["dtstart"].params["TZID"] == "America/New_York"
    assert int(master["sequence"]) >= 1  # the cancellation changed the EXDATE list
    assert "EXDATE" in master and "DTSTAMP" in master
    instances = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e]
    assert len(instances) == 2 and all(int(e["sequence"]) > 0 for e in instances)
    assert {tz["tzid"] for tz in cal.walk("VTIMEZONE")} == {"America/New_York"}
    joined = next(e for e in events if e.decoded("dtstart") == occs[4].start)
    assert f"/calendar/session/{series.id}/" in str(joined["description"])  # its own page: the link is there
    assert "video.example.org" not in response.get_data(as_text=True)


def test_feed_keeps_18_00_local_across_dst(client, counselor, sam, linked_family):
    from datetime import date, time

    from tests.calendar.conftest import next_weekday

    first = next_weekday(1, after=date(2026, 12, 1))
    series = make_series(counselor, client=sam, first=first, count=20)
    cal, events = _expand(
        client.get(_feed_path(linked_family)).data, utcnow() - timedelta(days=1), utcnow() + timedelta(days=400)
    )
    local = [e.decoded("dtstart").astimezone(series.zone) for e in events]
    assert len(local) == 20 and all(t.time() == time(18, 0) for t in local)
    assert {t.utcoffset() for t in local} == {timedelta(hours=-5), timedelta(hours=-4)}


def test_feed_wording_is_neutral_even_when_the_counselor_is_not(client, counselor, sam, linked_family):
    make_series(
        counselor,
        client=sam,
        title="IOP addiction treatment family night",
        mode="in_person",
        address="Hope Addiction Treatment Center, 1 Main St",
    )
    text = client.get(_feed_path(linked_family)).get_data(as_text=True)
    for word in ("addiction", "iop", "treatment", "Sam Rivera", "Evening"):
        assert word.lower() not in text.lower(), word
    assert "SUMMARY:Family session" in text


def test_feed_checks_consent_at_fetch_and_audits_each_fetch(client, linked_family, series, sam):
    path = _feed_path(linked_family)
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    fetches = db.session.scalars(sa.select(AuditEvent).filter_by(action="disclosure.calendar_feed")).all()
    assert len(fetches) == 2 and all(e.client_id == sam.id and e.ip for e in fetches)
    consent = db.session.scalar(sa.select(Consent).filter_by(client_id=sam.id))
    consent.revoked_at = utcnow()
    db.session.commit()
    cal = Calendar.from_ical(client.get(path).data)
    assert list(cal.walk("VEVENT")) == []


def test_wrong_and_rotated_tokens_are_a_plain_404(client, auth, linked_family, series):
    old = _feed_path(linked_family)
    assert client.get(old).status_code == 200
    for bad in [
        "/calendar/feed/nope.ics",
        "/calendar/feed/" + "a" * 5000 + ".ics",
        "/calendar/feed/%27%20OR%201=1.ics",
    ]:
        response = client.get(bad)
        assert response.status_code == 404 and response.mimetype == "text/plain"
    auth.login(linked_family.email)
    page = client.get("/calendar/subscribe").get_data(as_text=True)
    assert re.search(r'value="http://localhost/calendar/feed/[A-Za-z0-9_-]+\.ics"', page)
    assert auth.post("/calendar/subscribe/rotate").status_code == 302
    assert client.get(old).status_code == 404
    auth.logout()
    new = _feed_path(linked_family)
    assert new != old and client.get(new).status_code == 200


def test_rotate_needs_csrf(client, auth, linked_family):
    auth.login(linked_family.email)
    assert client.post("/calendar/subscribe/rotate").status_code == 400


def test_feed_token_is_stored_only_as_a_hash(linked_family):
    from portal.calendar.models import FeedToken

    token = feeds.feed_token(linked_family)
    row = db.session.scalar(sa.select(FeedToken).filter_by(user_id=linked_family.id))
    assert token not in (row.token_hash, row.nonce)


def test_unlinked_user_feed_is_empty(client, stranger, series):
    cal = Calendar.from_ical(client.get(_feed_path(stranger)).data)
    assert list(cal.walk("VEVENT")) == []


HOSTILE_ADDRESS = "Narcotics Anonymous Hall, 12 Main St"
HOSTILE_LINK = "https://sunrise-addiction-center.example/room"


def _events(client, user):
    text = client.get(_feed_path(user)).get_data(as_text=True)
    return text, list(Calendar.from_ical(text).walk("VEVENT"))


def test_feed_never_shows_an_address_or_video_link_it_was_not_allowed_to(
    client, counselor, sam, linked_family, program
):
    in_person = make_series(counselor, client=sam, mode="in_person", address=HOSTILE_ADDRESS)
    online = make_series(counselor, program=program, join_url=HOSTILE_LINK, count=3)
    change_one(counselor, online, occurrences_of(online)[1].original_start, join_url=HOSTILE_LINK + "/2")
    text, events = _events(client, linked_family)
    for revealing in ("Narcotics", "12 Main St", "sunrise-addiction-center"):
        assert revealing.lower() not in text.lower(), revealing
    assert {str(e["summary"]) for e in events} == {"Family session"}
    assert {str(e["location"]) for e in events} == {"In person (address in the portal)", "Online"}
    for event in events:  # fixed text and the portal's own link (the agenda, or that session's page)
        assert str(event["url"]).startswith("http://localhost/calendar/")
        assert str(event["description"]) == f"Details and how to join, after you sign in: {event['url']}"
    assert any(f"/calendar/session/{online.id}/" in str(e["url"]) for e in events)
    assert in_person.address == HOSTILE_ADDRESS  # stored, shown in the portal only


def test_an_opted_in_series_shows_its_address_but_never_a_video_link(
    client, auth, counselor, sam, linked_family, program
):
    shown = make_series(counselor, client=sam, mode="in_person", address=HOSTILE_ADDRESS, address_in_feeds=True)
    make_series(counselor, program=program, join_url=HOSTILE_LINK, address_in_feeds=True, count=2)
    change_one(counselor, shown, occurrences_of(shown)[2].original_start, address="Sunrise Recovery Annex")
    text, events = _events(client, linked_family)
    assert "sunrise-addiction-center" not in text and "Recovery Annex" not in text
    locations = [str(e["location"]) for e in events]
    assert locations.count(HOSTILE_ADDRESS) == 1  # the master; the one-off address was not opted in
    assert "In person (address in the portal)" in locations and "Online" in locations
    auth.login(linked_family.email)
    occ = occurrences_of(shown)[0]
    one = client.get(f"/calendar/session/{shown.id}/{occ.key}.ics").get_data(as_text=True)
    assert "LOCATION:Narcotics Anonymous Hall\\, 12 Main St" in one
    page = client.get(f"/calendar/session/{shown.id}/{occ.key}").get_data(as_text=True)
    assert HOSTILE_ADDRESS in page  # the portal itself shows it, after sign-in and the consent check
