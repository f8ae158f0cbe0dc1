"""Replies, capacity, the automatic waitlist and attendance."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.calendar import roster
from portal.calendar.models import RSVP, Attendance, Notification
from portal.calendar.schedule import occurrences_of
from portal.calendar.services import CalendarError, cancel_one
from portal.care import access
from portal.extensions import db
from tests.calendar.conftest import make_series
from tests.factories import link_family, make_user


@pytest.fixture
def small(counselor, sam, linked_family):
    return make_series(counselor, client=sam, capacity=1, count=3)


def test_rsvp_through_the_page(client, auth, linked_family, series):
    auth.login(linked_family.email)
    occ = occurrences_of(series)[0]
    response = auth.post(f"/calendar/session/{series.id}/{occ.key}/rsvp", {"response": "maybe"})
    assert response.status_code == 302
    row = db.session.scalar(sa.select(RSVP).filter_by(user_id=linked_family.id))
    assert row.response == "maybe" and row.occurrence_start == occ.original_start
    html = client.get(f"/calendar/session/{series.id}/{occ.key}").get_data(as_text=True)
    assert "You said maybe." in html


def test_bad_rsvp_values_are_refused_without_a_500(client, auth, linked_family, series):
    auth.login(linked_family.email)
    occ = occurrences_of(series)[0]
    for value in ["", "yes", "going'; DROP TABLE session_rsvps;--", "x" * 10000]:
        response = auth.post(f"/calendar/session/{series.id}/{occ.key}/rsvp", {"response": value})
        assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(RSVP.id))) == 0
    assert client.post(f"/calendar/session/{series.id}/{occ.key}/rsvp", data={"response": "going"}).status_code == 400


def test_capacity_waitlist_and_automatic_promotion(counselor, sam, linked_family, small):
    second = make_user(email="second@example.org")
    link_family(second, sam, witness=counselor)
    occ = occurrences_of(small)[0]
    assert roster.respond(linked_family, occ, "going").holds_seat
    waiting = roster.respond(second, occ, "going")
    assert waiting.waitlisted
    roster.respond(linked_family, occ, "not_going")  # frees the seat
    db.session.refresh(waiting)
    assert waiting.holds_seat
    assert db.session.scalar(sa.select(Notification).filter_by(user_id=second.id, kind="promoted")) is not None
    again = roster.respond(linked_family, occ, "going")
    assert again.waitlisted  # the freed seat went to the person who was waiting


def test_double_submit_keeps_one_row_and_one_seat(linked_family, small):
    occ = occurrences_of(small)[0]
    roster.respond(linked_family, occ, "going")
    roster.respond(linked_family, occ, "going")
    rows = db.session.scalars(sa.select(RSVP)).all()
    assert len(rows) == 1 and rows[0].holds_seat


def test_no_reply_to_cancelled_or_past_sessions(counselor, linked_family, series):
    occ = occurrences_of(series)[0]
    with pytest.raises(CalendarError):
        roster.respond(linked_family, occ, "going", now=occ.start + timedelta(minutes=1))
    cancel_one(counselor, series, occ.original_start, "Snow")
    with pytest.raises(CalendarError):
        roster.respond(linked_family, occurrences_of(series)[0], "going")


def test_attendance_is_shown_only_when_consent_includes_it(client, auth, counselor, sam, series, linked_family):
    occ = occurrences_of(series)[0]
    with pytest.raises(CalendarError):
        roster.mark_attendance(counselor, occ, {linked_family.id: "present"}, {linked_family.id})  # not started yet
    db.session.add(
        Attendance(
            series_id=series.id,
            occurrence_start=occ.original_start,
            user_id=linked_family.id,
            status="late",
            marked_by_id=counselor.id,
        )
    )
    db.session.commit()
    auth.login(linked_family.email)
    path = f"/calendar/session/{series.id}/{occ.key}"
    assert "Arrived late" not in client.get(path).get_data(as_text=True)
    link = access.link_for_client(linked_family, sam.id)
    link.consent.includes_attendance = True
    db.session.commit()
    assert "Arrived late" in client.get(path).get_data(as_text=True)
