"""Session pre-work is chosen from a grouped lesson picker: slugs are never typed, a module is
chosen as a module, and unknown values are refused with a field error."""

import pytest
import sqlalchemy as sa

from portal.calendar.models import SessionSeries
from portal.extensions import db
from tests.calendar.test_manage import _form


@pytest.fixture
def logged_in(auth, counselor, runner):
    assert runner.invoke(args=["curriculum", "load"]).exit_code == 0
    auth.login(counselor.email)
    return auth


def test_the_form_offers_a_grouped_select_not_a_text_box(client, logged_in, sam):
    html = client.get("/calendar/manage/new").get_data(as_text=True)
    start = html.index('name="lessons"')
    select = html[html.rindex("<select", 0, start) : html.index("</select>", start)]
    assert "multiple" in select and "<optgroup" in select
    assert 'value="module:rebuilding-trust"' in select and "The whole module: " in select
    assert 'value="why-trust-breaks"' in select
    assert 'data-preview="/lessons/read/why-trust-breaks"' in select
    assert 'data-preview="/lessons/modules/rebuilding-trust"' in select
    assert "e.g. rebuilding-trust" not in html
    assert 'id="lessons-search"' in html  # the search JS enhances; the select works without it


def test_a_module_is_saved_as_a_module_and_shown_as_one(client, logged_in, sam, linked_family, auth):
    saved = logged_in.post(
        "/calendar/manage/new", {**_form(sam, lessons=["module:rebuilding-trust", "why-trust-breaks"]), "save": "1"}
    )
    assert saved.status_code == 302
    series = db.session.scalar(sa.select(SessionSeries))
    assert series.lesson_slugs == ["module:rebuilding-trust", "why-trust-breaks"]
    edit = client.get(f"/calendar/manage/{series.id}/edit").get_data(as_text=True)
    assert 'selected value="module:rebuilding-trust"' in edit and 'selected value="why-trust-breaks"' in edit
    chosen = edit.split('class="picker-chosen"')[1].split("</ul>")[0]
    assert 'href="/lessons/modules/rebuilding-trust"' in chosen and 'href="/lessons/read/why-trust-breaks"' in chosen
    auth.logout()
    auth.login(linked_family.email)
    occurrence = client.get("/calendar/").get_data(as_text=True)
    key = occurrence.split(f"/calendar/session/{series.id}/")[1].split('"')[0]
    page = client.get(f"/calendar/session/{series.id}/{key}").get_data(as_text=True)
    assert "(the whole module)" in page and 'href="/lessons/modules/rebuilding-trust"' in page


def test_unknown_slugs_are_refused_with_a_field_error(logged_in, sam):
    for value in (["no-such-lesson"], ["module:no-such-module"], ["rebuilding-trust"]):
        response = logged_in.post("/calendar/manage/new", {**_form(sam, lessons=value), "save": "1"})
        assert response.status_code == 422
        assert "is not a published lesson or module" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(SessionSeries.id))) == 0


@pytest.mark.parametrize(
    "value",
    [
        ["<script>alert(1)</script>"],
        ["' OR 1=1 --"],
        ["x" * 5000],
        [f"lesson-{n}" for n in range(11)],
        ["module:"],
        ["\u202eevil"],
    ],
)
def test_hostile_or_oversized_choices_are_field_errors(logged_in, sam, value):
    response = logged_in.post("/calendar/manage/new", {**_form(sam, lessons=value), "save": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert db.session.scalar(sa.select(sa.func.count(SessionSeries.id))) == 0
