"""Posting a session whose first time has passed warns, and needs an explicit confirmation."""

from datetime import date, timedelta

import sqlalchemy as sa

from portal.calendar.models import SessionSeries
from portal.extensions import db
from tests.calendar.test_manage import _form

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _past(sam, **extra):
    return {**_form(sam, start_date=YESTERDAY, repeat="none", count=""), **extra}


def test_preview_warns_and_save_needs_confirmation(auth, counselor, sam, linked_family):
    auth.login(counselor.email)
    preview = auth.post("/calendar/manage/new", {**_past(sam), "preview": "1"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="past-warning"' in html and 'name="confirm_past"' in html
    refused = auth.post("/calendar/manage/new", {**_past(sam), "save": "1"})
    assert refused.status_code == 422
    assert "The first session starts in the past" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(SessionSeries.id))) == 0
    posted = auth.post("/calendar/manage/new", {**_past(sam), "save": "1", "confirm_past": "y"})
    assert posted.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(SessionSeries.id))) == 1


def test_a_future_session_needs_no_confirmation(auth, counselor, sam, linked_family):
    auth.login(counselor.email)
    preview = auth.post("/calendar/manage/new", {**_form(sam), "preview": "1"}).get_data(as_text=True)
    assert 'id="past-warning"' not in preview and 'name="confirm_past"' not in preview
    assert auth.post("/calendar/manage/new", {**_form(sam), "save": "1"}).status_code == 302


def test_confirmation_with_hostile_values_is_harmless(auth, counselor, sam, linked_family):
    auth.login(counselor.email)
    for value in ("<script>alert(1)</script>", "x" * 5000, "' OR 1=1"):
        response = auth.post("/calendar/manage/new", {**_form(sam), "save": "1", "confirm_past": value})
        assert response.status_code in (302, 422)
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
