"""A week view beside the agenda and month views: consent-bound like them, bad input never fails."""

import pytest

from portal.clock import utcnow
from portal.extensions import db


def test_week_view_lists_the_weeks_sessions(client, auth, linked_family, series):
    auth.login(linked_family.email)
    first = series.start_local.date()
    html = client.get(f"/calendar/week?week={first.isoformat()}").get_data(as_text=True)
    assert f"/calendar/session/{series.id}/" in html
    assert html.count('class="cal-week-day') == 7
    assert 'href="/calendar/week"' in html and 'aria-current="page"' in html
    assert 'href="/calendar/week"' in client.get("/calendar/").get_data(as_text=True)


def test_week_view_shows_nothing_after_the_consent_ended(client, auth, linked_family, series):
    from portal.care.models import FamilyLink

    for link in db.session.scalars(db.select(FamilyLink).filter_by(user_id=linked_family.id)):
        link.consent.revoked_at = utcnow()
    db.session.commit()
    auth.login(linked_family.email)
    html = client.get(f"/calendar/week?week={series.start_local.date().isoformat()}").get_data(as_text=True)
    assert f"/calendar/session/{series.id}/" not in html


def test_a_stranger_sees_no_sessions(client, auth, stranger, series):
    auth.login(stranger.email)
    response = client.get(f"/calendar/week?week={series.start_local.date().isoformat()}")
    assert f"/calendar/session/{series.id}/" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "value", ["", "not-a-date", "9999-99-99", "1900-01-01", "<script>alert(1)</script>", "x" * 5000, "2026-02-30"]
)
def test_bad_week_values_fall_back_to_this_week(client, auth, linked_family, value):
    auth.login(linked_family.email)
    response = client.get("/calendar/week", query_string={"week": value})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_week_view_needs_sign_in(client):
    assert client.get("/calendar/week").status_code == 302


def test_week_starts_on_sunday(client, auth, linked_family):
    auth.login(linked_family.email)
    html = client.get("/calendar/week?week=2026-12-02").get_data(as_text=True)  # a Wednesday
    assert "week=2026-11-22" in html and "week=2026-12-06" in html
