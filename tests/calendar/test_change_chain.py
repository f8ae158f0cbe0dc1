"""After "this and following" splits a series, "change all sessions" offers the whole chain and
says which sessions will change."""

import sqlalchemy as sa

from portal.calendar.models import SessionSeries
from portal.calendar.schedule import occurrences_of
from portal.calendar.services import series_chain
from portal.extensions import db
from tests.calendar.test_manage import logged_in  # noqa: F401  (the signed-in counselor fixture)


def _split(logged_in, series):  # noqa: F811
    occs = occurrences_of(series)
    data = {"title": "Family session", "start_time": "17:00", "end_time": "18:00", "mode": "telehealth"}
    data["join_url"] = "https://video.example.org/new"
    assert logged_in.post(f"/calendar/manage/{series.id}/{occs[3].key}/following", data).status_code == 302
    db.session.expire_all()
    return db.session.scalars(sa.select(SessionSeries).order_by(SessionSeries.id)).all()


CHANGE = {"title": "Family check-in", "duration": "45", "mode": "in_person", "address": "4 Oak Lane", "capacity": ""}


def test_the_edit_page_offers_the_whole_chain_and_lists_the_sessions(client, logged_in, series, linked_family):  # noqa: F811
    old, new = _split(logged_in, series)
    assert new.split_from_id == old.id and [s.id for s in series_chain(new)] == [old.id, new.id]
    html = client.get(f"/calendar/manage/{old.id}/edit").get_data(as_text=True)
    assert "This series was split into parts" in html and 'name="whole_chain"' in html
    assert "The part you opened:" in html and "Another part:" in html
    assert html.split("cal-chain-parts")[1].count("<li>") >= 6  # every session of both parts listed
    assert "checked" not in html.split('name="whole_chain"')[1].split(">")[0]  # a choice, never a default


def test_ticking_changes_every_part(logged_in, series, linked_family):  # noqa: F811
    old, new = _split(logged_in, series)
    assert logged_in.post(f"/calendar/manage/{new.id}/edit", {**CHANGE, "whole_chain": "y"}).status_code == 302
    db.session.expire_all()
    assert {s.title for s in db.session.scalars(sa.select(SessionSeries))} == {"Family check-in"}


def test_unticked_changes_only_the_part_opened(logged_in, series, linked_family):  # noqa: F811
    old, new = _split(logged_in, series)
    assert logged_in.post(f"/calendar/manage/{new.id}/edit", CHANGE).status_code == 302
    db.session.expire_all()
    assert db.session.get(SessionSeries, new.id).title == "Family check-in"
    assert db.session.get(SessionSeries, old.id).title == "Family session"


def test_a_series_never_split_shows_no_chain_choice(client, logged_in, series):  # noqa: F811
    html = client.get(f"/calendar/manage/{series.id}/edit").get_data(as_text=True)
    assert 'name="whole_chain"' not in html and "split into parts" not in html
