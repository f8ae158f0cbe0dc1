"""Counselor pages: post with a preview, change one / following / all, roster, attendance, denials."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from portal.calendar.models import Attendance, Notification, OccurrenceOverride, SessionSeries
from portal.calendar.schedule import occurrences_of, original_starts
from portal.extensions import db
from portal.security import Role
from tests.calendar.conftest import make_series, next_weekday
from tests.factories import make_client, make_program, make_user


def _form(sam, **overrides):
    data = {
        "audience": f"client:{sam.id}",
        "title": "Family session",
        "description": "We will talk about **next steps**.",
        "start_date": next_weekday(1).isoformat(),
        "start_time": "18:00",
        "end_time": "19:00",
        "timezone": "America/New_York",
        "mode": "telehealth",
        "join_url": "https://video.example.org/abc",
        "address": "",
        "capacity": "",
        "repeat": "weekly",
        "until": "",
        "count": "4",
        "lessons": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def logged_in(auth, counselor):
    auth.login(counselor.email)
    return auth


def test_preview_then_save_creates_the_series(client, logged_in, sam, linked_family):
    preview = logged_in.post("/calendar/manage/new", {**_form(sam), "preview": "1"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert html.count("18:00") >= 4 and 'data-testid="preview"' in html
    assert db.session.scalar(sa.select(sa.func.count(SessionSeries.id))) == 0
    saved = logged_in.post("/calendar/manage/new", {**_form(sam), "save": "1"})
    assert saved.status_code == 302
    series = db.session.scalar(sa.select(SessionSeries))
    assert series.rrule == "FREQ=WEEKLY;COUNT=4" and series.client_id == sam.id
    assert series.start_local.time() == time(18, 0) and series.duration_minutes == 60
    assert "<strong>next steps</strong>" in series.description_html
    assert db.session.scalar(sa.select(Notification).filter_by(user_id=linked_family.id, kind="new"))


def test_preview_shows_ten_dates_at_most(logged_in, sam):
    html = logged_in.post("/calendar/manage/new", {**_form(sam, count="30"), "preview": "1"}).get_data(as_text=True)
    assert html.count("<li>") - html.count("<li><a") >= 10
    assert html.split('data-testid="preview"')[1].split("</ol>")[0].count("<li>") == 10


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "17:00"}, "must end after it starts"),
        ({"until": "2026-01-01", "count": ""}, "between today and two years"),
        (
            {
                "until": (date.today() + timedelta(days=1)).isoformat(),
                "count": "",
                "start_date": (date.today() + timedelta(days=5)).isoformat(),
            },
            "on or after the first date",
        ),
        ({"timezone": "Mars/Olympus_Mons"}, "Not a valid choice"),
        ({"join_url": "javascript:alert(1)"}, "https://"),
        ({"join_url": "http://video.example.org"}, "https://"),
        ({"join_url": "https://"}, "https://"),
        ({"capacity": "0"}, "Number must be"),
        ({"capacity": "-3"}, "Number must be"),
        ({"start_date": "9999-12-31"}, "between today and two years"),
        ({"start_date": "not-a-date"}, "Not a valid date"),
        ({"title": "x" * 10000}, "Field cannot be longer"),
        ({"description": "y" * 10000}, "Field cannot be longer"),
        ({"address": "z" * 10000, "mode": "in_person"}, "Field cannot be longer"),
        ({"count": "", "until": ""}, "Choose when the sessions end"),
        ({"audience": "client:999999"}, "Not a valid choice"),
        ({"audience": "program:abc"}, "Not a valid choice"),
        ({"mode": "in_person", "address": ""}, "Please enter the address"),
        ({"lessons": "<script>alert(1)</script>"}, "lesson addresses"),
    ],
)
def test_bad_input_gives_clear_errors_never_500(logged_in, sam, overrides, message):
    response = logged_in.post("/calendar/manage/new", {**_form(sam, **overrides), "save": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html, html[html.find("error-summary") : html.find("error-summary") + 600]
    assert "<script>alert(1)</script>" not in html
    assert db.session.scalar(sa.select(sa.func.count(SessionSeries.id))) == 0


@pytest.mark.parametrize(
    ("day", "clock", "message"),
    [("2027-03-14", "02:30", "does not exist"), ("2026-11-29", "01:30", None)],
)
def test_nonexistent_local_time_is_a_clear_form_error(logged_in, sam, day, clock, message):
    data = _form(sam, start_date=day, start_time=clock, end_time="03:30", repeat="none", count="")
    html = logged_in.post("/calendar/manage/new", {**data, "preview": "1"}).get_data(as_text=True)
    if message:
        assert message in html
    else:
        assert "does not exist" not in html and "happens twice" not in html


def test_ambiguous_local_time_in_a_series_is_a_clear_form_error(logged_in, sam, monkeypatch):
    # A weekly 01:30 series from 1 Nov 2027 backwards is not possible (dates are in the future),
    # so check a series that reaches the autumn change: 7 Nov 2027 (01:30 happens twice).
    first = date(2027, 10, 24)
    monkeypatch.setattr("portal.calendar.forms.date_in_range", lambda form, field: None)
    data = _form(sam, start_date=first.isoformat(), start_time="01:30", end_time="02:00", count="3")
    html = logged_in.post("/calendar/manage/new", {**data, "preview": "1"}).get_data(as_text=True)
    assert "happens twice" in html


def test_counselor_only_sees_and_posts_for_their_own_clients(client, auth, series, sam):
    outsider = make_user(roles=(Role.COUNSELOR,))
    make_program(counselors=[outsider])
    auth.login(outsider.email)
    assert client.get(f"/calendar/manage/{series.id}").status_code == 404
    key = occurrences_of(series)[0].key
    assert client.get(f"/calendar/manage/{series.id}/{key}").status_code == 404
    response = auth.post(f"/calendar/manage/{series.id}/{key}/cancel", {"reason": "x"})
    assert response.status_code == 404
    response = auth.post("/calendar/manage/new", {**_form(sam), "save": "1"})
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert f"/calendar/manage/{series.id}" not in client.get("/calendar/manage").get_data(as_text=True)


def test_family_members_cannot_manage(client, auth, linked_family, series):
    auth.login(linked_family.email)
    assert client.get("/calendar/manage").status_code == 403
    assert client.get("/calendar/manage/new").status_code == 403
    assert auth.post(f"/calendar/manage/{series.id}/edit", {"title": "x"}).status_code == 403


def test_cancel_one_with_reason(client, logged_in, series, linked_family, outbox):
    occ = occurrences_of(series)[2]
    response = logged_in.post(f"/calendar/manage/{series.id}/{occ.key}/cancel", {"reason": "Holiday"})
    assert response.status_code == 302
    override = db.session.scalar(sa.select(OccurrenceOverride))
    assert override.cancelled and override.cancel_reason == "Holiday"
    assert db.session.scalar(sa.select(Notification).filter_by(user_id=linked_family.id, kind="cancelled"))
    assert outbox()[-1]["Subject"] == "Family session: cancelled"
    again = logged_in.post(f"/calendar/manage/{series.id}/{occ.key}/cancel", {"reason": "Holiday"})
    assert again.status_code == 302  # double submit: a message, not a second change
    assert db.session.scalar(sa.select(sa.func.count(OccurrenceOverride.id))) == 1
    empty = logged_in.post(f"/calendar/manage/{series.id}/{occurrences_of(series)[3].key}/cancel", {"reason": ""})
    assert empty.status_code == 422 and "This field is required" in empty.get_data(as_text=True)


def test_move_one_and_change_its_link(client, logged_in, series, linked_family):
    occ = occurrences_of(series)[1]
    new_day = (occ.start.astimezone(series.zone) + timedelta(days=1)).date()
    response = logged_in.post(
        f"/calendar/manage/{series.id}/{occ.key}/change",
        {"new_date": new_day.isoformat(), "new_time": "19:30", "join_url": "https://video.example.org/moved"},
    )
    assert response.status_code == 302
    moved = occurrences_of(series)[1]
    assert moved.moved and moved.local_start.date() == new_day and moved.local_start.time() == time(19, 30)
    assert moved.join_url == "https://video.example.org/moved" and moved.key == occ.key
    bad = logged_in.post(f"/calendar/manage/{series.id}/{occ.key}/change", {"join_url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "https://" in bad.get_data(as_text=True)
    gap = logged_in.post(
        f"/calendar/manage/{series.id}/{occ.key}/change", {"new_date": "2027-03-14", "new_time": "02:30"}
    )
    assert gap.status_code == 422


def test_change_this_and_following_splits_the_series(logged_in, series, linked_family, counselor):
    from portal.calendar import roster

    occs = occurrences_of(series)
    roster.respond(linked_family, occs[4], "going")
    data = {
        "title": "Family session",
        "start_time": "17:00",
        "end_time": "18:30",
        "mode": "telehealth",
        "join_url": "https://video.example.org/new",
    }
    response = logged_in.post(f"/calendar/manage/{series.id}/{occs[3].key}/following", data)
    assert response.status_code == 302
    db.session.expire_all()
    old, new = db.session.scalars(sa.select(SessionSeries).order_by(SessionSeries.id)).all()
    assert len(original_starts(old)) == 3 and len(original_starts(new)) == 3
    assert all(o.local_start.time() == time(17, 0) for o in occurrences_of(new))
    assert new.duration_minutes == 90 and new.join_url == "https://video.example.org/new"
    assert old.sequence > 0
    from portal.calendar.models import RSVP

    rsvp = db.session.scalar(sa.select(RSVP))
    assert rsvp.series_id == new.id and rsvp.occurrence_start == occurrences_of(new)[1].original_start


def test_change_all(logged_in, series, linked_family):
    data = {"title": "Family check-in", "duration": "45", "mode": "in_person", "address": "4 Oak Lane", "capacity": "6"}
    response = logged_in.post(f"/calendar/manage/{series.id}/edit", data)
    assert response.status_code == 302
    db.session.refresh(series)
    assert series.title == "Family check-in" and series.duration_minutes == 45 and series.address == "4 Oak Lane"
    assert series.join_url == "" and series.capacity == 6 and series.sequence == 1
    assert all(o.local_start.time() == time(18, 0) for o in occurrences_of(series))


def test_roster_and_attendance(client, logged_in, counselor, sam, linked_family):
    from portal.calendar import roster

    past = make_series(counselor, client=sam, first=date.today() - timedelta(days=1), repeat="none")
    occ = occurrences_of(past)[0]
    html = client.get(f"/calendar/manage/{past.id}/{occ.key}").get_data(as_text=True)
    assert "Jordan" in html
    response = logged_in.post(
        f"/calendar/manage/{past.id}/{occ.key}/attendance", {f"status-{linked_family.id}": "late"}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Attendance)).status == "late"
    stranger = make_user()
    response = logged_in.post(f"/calendar/manage/{past.id}/{occ.key}/attendance", {f"status-{stranger.id}": "late"})
    assert response.status_code == 302 and db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 1
    assert (
        logged_in.post(
            f"/calendar/manage/{past.id}/{occ.key}/attendance", {f"status-{linked_family.id}": "asleep"}
        ).status_code
        == 400
    )
    upcoming = make_series(counselor, client=sam, count=2)
    first = occurrences_of(upcoming)[0]
    roster.respond(linked_family, first, "maybe")
    assert "Maybe" in client.get(f"/calendar/manage/{upcoming.id}/{first.key}").get_data(as_text=True)


def test_program_audience_for_program_counselors(logged_in, program, sam, linked_family):
    response = logged_in.post(
        "/calendar/manage/new",
        {**_form(sam, audience=f"program:{program.id}", repeat="monthly"), "save": "1"},
    )
    assert response.status_code == 302
    series = db.session.scalar(sa.select(SessionSeries))
    assert series.program_id == program.id and series.client_id is None and "BYDAY=" in series.rrule


def test_admin_manages_everything(client, auth, series):
    admin = make_user(roles=(Role.ADMIN,))
    auth.login(admin.email)
    assert client.get(f"/calendar/manage/{series.id}").status_code == 200
    other = make_client()
    assert f"client:{other.id}" in client.get("/calendar/manage/new").get_data(as_text=True)


def _address_choices():
    from portal.audit import AuditEvent

    rows = db.session.scalars(
        sa.select(AuditEvent).filter_by(action="calendar.address_in_feeds_changed").order_by(AuditEvent.id)
    )
    return [(row.object_id, row.detail["address_in_feeds"]) for row in rows]


def test_opting_a_series_in_to_show_its_address_is_warned_and_audited(logged_in, sam, linked_family):
    page = logged_in._client.get("/calendar/manage/new").get_data(as_text=True)
    assert 'name="address_in_feeds"' in page and "Warning: calendars and emails are outside the portal" in page
    assert 'aria-describedby="address_in_feeds-hint"' in page and 'id="address_in_feeds-hint"' in page
    in_person = {"mode": "in_person", "address": "Narcotics Anonymous Hall, 12 Main St", "join_url": ""}
    saved = logged_in.post("/calendar/manage/new", {**_form(sam, **in_person), "address_in_feeds": "y", "save": "1"})
    assert saved.status_code == 302
    series = db.session.scalar(sa.select(SessionSeries))
    assert series.address_in_feeds is True
    assert _address_choices() == [(str(series.id), True)]
    assert "The address is shown" in logged_in._client.get(f"/calendar/manage/{series.id}").get_data(as_text=True)
    edit = {"title": "Family session", "duration": "60", **in_person}
    logged_in.post(f"/calendar/manage/{series.id}/edit", {**edit, "address_in_feeds": "y"})
    assert _address_choices() == [(str(series.id), True)]  # unchanged: nothing new to record
    logged_in.post(f"/calendar/manage/{series.id}/edit", edit)
    db.session.refresh(series)
    assert series.address_in_feeds is False
    assert _address_choices() == [(str(series.id), True), (str(series.id), False)]


def test_an_online_series_cannot_be_opted_in(logged_in, sam):
    logged_in.post("/calendar/manage/new", {**_form(sam), "address_in_feeds": "y", "save": "1"})
    series = db.session.scalar(sa.select(SessionSeries))
    assert series.address_in_feeds is False and _address_choices() == []
