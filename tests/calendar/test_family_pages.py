"""What a linked family member sees, and that nobody else sees any of it."""

import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.calendar.models import Notification
from portal.calendar.schedule import occurrences_of
from portal.clock import utcnow
from portal.extensions import db
from tests.calendar.conftest import make_series
from tests.factories import link_family, make_client, make_program, make_user


def _first(series):
    return occurrences_of(series)[0]


def test_linked_family_sees_the_agenda_with_times_and_disclosure_is_audited(client, auth, linked_family, series):
    auth.login(linked_family.email)
    page = client.get("/calendar/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("Family session") >= 6
    assert "6:00" in html
    assert "42 CFR Part 2" in html
    events = db.session.scalars(sa.select(AuditEvent).filter_by(action="disclosure.calendar_agenda")).all()
    assert len(events) == 1 and events[0].client_id == series.client_id and events[0].actor_id == linked_family.id


def test_unlinked_family_member_sees_nothing(client, auth, stranger, series):
    auth.login(stranger.email)
    page = client.get("/calendar/").get_data(as_text=True)
    assert "There are no family sessions" in page
    occ = _first(series)
    assert client.get(f"/calendar/session/{series.id}/{occ.key}").status_code == 404
    assert client.get(f"/calendar/session/{series.id}/{occ.key}.ics").status_code == 404
    response = auth.post(f"/calendar/session/{series.id}/{occ.key}/rsvp", {"response": "going"})
    assert response.status_code == 404
    month = client.get("/calendar/month?month=" + occ.start.strftime("%Y-%m")).get_data(as_text=True)
    assert f"/calendar/session/{series.id}/" not in month
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action.like("disclosure.%"))) == 0


def test_occurrence_page_shows_both_zones_join_link_and_notice(client, auth, linked_family, series):
    linked_family.timezone = "Europe/London"
    db.session.commit()
    auth.login(linked_family.email)
    occ = _first(series)
    html = client.get(f"/calendar/session/{series.id}/{occ.key}").get_data(as_text=True)
    london = occ.start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
    assert london.strftime("%-I:%M") in html and ("GMT" in html or "BST" in html)
    assert "Session&#39;s own time" in html or "Session's own time" in html
    assert "6:00 PM" in html and "America/New York" in html
    assert "https://video.example.org/room-1" in html
    assert "42 CFR Part 2" in html
    assert db.session.scalar(sa.select(AuditEvent).filter_by(action="disclosure.calendar_session")) is not None


def test_same_zone_viewer_sees_one_time_only(client, auth, linked_family, series):
    auth.login(linked_family.email)
    occ = _first(series)
    html = client.get(f"/calendar/session/{series.id}/{occ.key}").get_data(as_text=True)
    assert "Session's own time" not in html and "Session&#39;s own time" not in html


def test_wrong_keys_and_ids_are_404_never_500(client, auth, linked_family, series):
    auth.login(linked_family.email)
    for path in [
        f"/calendar/session/{series.id}/20991231T000000Z",
        f"/calendar/session/{series.id}/garbage",
        "/calendar/session/999999/20261208T230000Z",
        f"/calendar/session/{series.id}/%27OR1=1",
        f"/calendar/session/{series.id}/" + "9" * 10000,
    ]:
        assert client.get(path).status_code == 404, path
    # a NUL character is refused before any view runs (portal/errors.py), for every address alike
    assert client.get(f"/calendar/session/{series.id}/%00%27OR1=1").status_code == 400
    assert client.get("/calendar/month?month=9999-99").status_code == 200
    assert client.get("/calendar/month?month=" + "x" * 10000).status_code == 200
    assert client.get("/calendar/month?month=9999-12").status_code == 200


def test_family_of_another_client_in_same_program_cannot_open_this_familys_session(
    client, auth, counselor, program, series
):
    other = make_user()
    link_family(other, make_client(program=program), witness=counselor)
    auth.login(other.email)
    occ = _first(series)
    assert client.get(f"/calendar/session/{series.id}/{occ.key}").status_code == 404
    assert auth.post(f"/calendar/session/{series.id}/{occ.key}/rsvp", {"response": "going"}).status_code == 404
    from portal.calendar.models import RSVP

    assert db.session.scalar(sa.select(sa.func.count(RSVP.id))) == 0
    assert f"/calendar/session/{series.id}/" not in client.get("/calendar/").get_data(as_text=True)


def test_program_wide_series_reaches_every_linked_family_of_the_program(
    client, auth, counselor, program, linked_family
):
    group = make_series(counselor, program=program, repeat="monthly", count=3, mode="in_person", title="Family group")
    other_program_member = make_user()
    link_family(other_program_member, make_client(program=make_program()), witness=counselor)
    auth.login(linked_family.email)
    assert "Family group" in client.get("/calendar/").get_data(as_text=True)
    auth.logout()
    auth.login(other_program_member.email)
    assert client.get(f"/calendar/session/{group.id}/{_first(group).key}").status_code == 404


def test_revoked_consent_hides_everything_at_once(client, auth, linked_family, series, sam):
    auth.login(linked_family.email)
    occ = _first(series)
    assert client.get(f"/calendar/session/{series.id}/{occ.key}").status_code == 200
    from portal.care.models import Consent

    consent = db.session.scalar(sa.select(Consent).filter_by(client_id=sam.id))
    consent.revoked_at = utcnow()
    db.session.commit()
    assert client.get(f"/calendar/session/{series.id}/{occ.key}").status_code == 404
    agenda = client.get("/calendar/").get_data(as_text=True)
    assert "There are no family sessions" in agenda and "cal-badge" not in agenda  # no count of old notices
    assert "A session was planned." not in client.get("/calendar/notifications").get_data(as_text=True)


def test_new_series_notifies_linked_family_in_app_and_by_neutral_email(linked_family, series, outbox, stranger):
    notes = db.session.scalars(sa.select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(linked_family.id, "new")]
    mails = outbox()
    assert [m["To"] for m in mails] == [linked_family.email]
    subject = mails[0]["Subject"]
    assert subject.startswith("Family session")
    body = mails[0].get_content()
    for word in ("addiction", "IOP", "treatment", "Sam Rivera"):
        assert word.lower() not in (subject + body).lower()


def test_notifications_page_lists_and_marks_read(client, auth, linked_family, series):
    auth.login(linked_family.email)
    html = client.get("/calendar/notifications").get_data(as_text=True)
    assert "A session was planned." in html
    assert auth.post("/calendar/notifications/read").status_code == 302
    assert db.session.scalar(sa.select(Notification).filter_by(user_id=linked_family.id)).read_at is not None


def test_ics_download_of_one_occurrence(client, auth, linked_family, series):
    from icalendar import Calendar

    auth.login(linked_family.email)
    occ = _first(series)
    response = client.get(f"/calendar/session/{series.id}/{occ.key}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1 and events[0].decoded("dtstart") == occ.start
    assert str(events[0]["summary"]) == "Family session"
    assert cal.walk("VTIMEZONE")


def test_counselors_and_anonymous_users_cannot_use_family_pages(client, auth, counselor, series):
    assert client.get("/calendar/").status_code == 302  # to sign in
    auth.login(counselor.email)
    assert client.get("/calendar/").status_code == 403
    occ = _first(series)
    response = client.get(f"/calendar/session/{series.id}/{occ.key}")
    assert response.status_code == 302 and "/calendar/manage/" in response.headers["Location"]


def test_description_is_sanitized_and_stored_beside_its_source(client, auth, counselor, sam, linked_family):
    from portal.calendar.services import SeriesDetails, update_all

    series = make_series(counselor, client=sam)
    hostile = "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> **ok**"
    update_all(
        counselor,
        series,
        SeriesDetails(
            title="Family session", description=hostile, mode="telehealth", join_url="https://video.example.org/a"
        ),
    )
    assert series.description_md == hostile
    auth.login(linked_family.email)
    html = client.get(f"/calendar/session/{series.id}/{_first(series).key}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and 'href="javascript' not in html and "<img" not in html
    assert "<strong>ok</strong>" in html


def test_dashboard_panels(app, client, auth, counselor, sam, linked_family, stranger):
    from datetime import timedelta

    from portal.calendar.views import counselor_panel, next_session_panel

    series = make_series(counselor, client=sam)
    auth.login(linked_family.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Next session:" in html and f"/calendar/session/{series.id}/" in html
    with app.test_request_context():
        assert next_session_panel(stranger) is None
        assert counselor_panel(counselor)["text"] == "No family sessions today."
        soon = (utcnow() + timedelta(minutes=90)).astimezone(series.zone).replace(second=0, microsecond=0)
        make_series(counselor, client=sam, first=soon.date(), at=soon.time(), repeat="none")
        panel = counselor_panel(counselor)
        if soon.date() == utcnow().astimezone(series.zone).date():  # not in the day's last 90 minutes
            assert panel["text"] == "1 family session today."
            assert any("/calendar/manage/" in url for _label, url in panel["links"])


def test_los_angeles_viewer_sees_pacific_time_in_the_agenda(client, auth, linked_family, series):
    linked_family.timezone = "America/Los_Angeles"
    db.session.commit()
    auth.login(linked_family.email)
    html = client.get("/calendar/").get_data(as_text=True)
    assert "3:00 PM" in html and "6:00 PM" not in html


def test_recommended_lessons_show_titles_and_the_viewers_completion(
    client, auth, runner, counselor, sam, linked_family
):
    from portal.calendar.services import SeriesDetails, update_all

    assert runner.invoke(args=["curriculum", "load"]).exit_code == 0
    series = make_series(counselor, client=sam)
    update_all(
        counselor,
        series,
        SeriesDetails(
            title="Family session",
            mode="telehealth",
            join_url="https://video.example.org/a",
            lesson_slugs=["why-trust-breaks", "no-such-lesson"],
        ),
    )
    auth.login(linked_family.email)
    html = client.get(f"/calendar/session/{series.id}/{_first(series).key}").get_data(as_text=True)
    assert 'href="/lessons/read/why-trust-breaks"' in html and "not started yet" in html
    assert "No such lesson" in html
