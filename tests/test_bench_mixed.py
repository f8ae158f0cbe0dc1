"""The mixed-load benchmark without servers or load: its bookkeeping (bench/mixed.py) with
hand-made numbers — what it decides is what `make bench` reports as held — and what its
simulated people read and post (bench/mixed_pages.py) on the pages the test app renders. No
time is measured."""

import math
import re

import sqlalchemy as sa

from bench import mixed, mixed_pages
from portal.extensions import db
from tests.factories import DEMO_PASSWORD


def _step(target=100, p95=120.0, p99=80.0, errors=0, lost=0, duplicates=0, ready=None, revoked=True):
    return {
        "target": target,
        "ready": target if ready is None else ready,
        "pages": {"p95_ms": p95},
        "chat": {"p99_ms": p99, "lost": lost, "duplicates": duplicates},
        "errors": errors,
        "revocation": {"ok": revoked, "detail": "next page answered 200"},
    }


def test_a_step_within_every_service_level_holds():
    assert mixed.broken(_step()) == []


def test_each_service_level_breaks_a_step_on_its_own():
    assert mixed.broken(_step(p95=301)) == ["page p95 301 ms > 300 ms"]
    assert mixed.broken(_step(p99=201)) == ["chat p99 201 ms > 200 ms"]
    assert mixed.broken(_step(errors=1)) == ["1 errors"]
    assert mixed.broken(_step(lost=1)) == ["1 deliveries lost"]
    assert mixed.broken(_step(duplicates=2)) == ["2 deliveries duplicated"]
    assert mixed.broken(_step(ready=98)) == ["2 families not signed in and joined 2 min after the last arrived"]
    assert mixed.broken(_step(revoked=False)) == ["revocation: next page answered 200"]
    assert mixed.broken({**_step(), "staff_missing": 1}) == [
        "1 moderators or counselors not signed in 2 min after the last arrived"
    ]


def test_the_limits_themselves_still_hold():
    assert mixed.broken(_step(p95=300, p99=200)) == []


def test_a_step_without_pages_is_not_taken_as_held():
    assert mixed.broken(_step(p95=math.nan))


def test_a_step_without_chat_messages_is_judged_on_the_rest():
    assert mixed.broken(_step(p99=math.nan)) == []


def test_capacity_is_the_last_step_before_the_first_broken_one():
    steps = [_step(100), _step(200), _step(400, p95=350), _step(700)]
    held, broke = mixed.capacity(steps)
    assert held == 200
    assert broke["target"] == 400
    assert mixed.capacity([_step(100), _step(200)]) == (200, None)
    assert mixed.capacity([_step(100, errors=3)])[0] == 0


def test_histograms_from_several_processes_add_up():
    merged = mixed.merge_histograms([{"10": 5, "20": 1}, {"10": 1, "300": 4}])
    assert merged == {10.0: 6, 20.0: 1, 300.0: 4}
    assert mixed.histogram_percentile(merged, 50) == 10.0
    assert mixed.histogram_percentile(merged, 95) == 300.0
    assert math.isnan(mixed.histogram_percentile({}, 95))


def test_page_p95_leaves_out_the_sign_in():
    report = {
        "pages": {
            "GET lesson page": {"count": 20, "failures": 0, "response_times": {"50": 20}},
            "POST sign in: post": {"count": 20, "failures": 0, "response_times": {"900": 20}},
        }
    }
    summary = mixed.page_summary([report, report])
    assert summary["p95_ms"] == 50.0
    assert summary["count"] == 40
    assert summary["per_page"]["POST sign in: post"]["p95_ms"] == 900.0


def test_page_p95_leaves_out_static_files_but_counts_their_failures():
    report = {
        "pages": {
            "GET lesson page": {"count": 20, "failures": 0, "response_times": {"80": 20}},
            "GET static file": {"count": 200, "failures": 1, "response_times": {"2": 200}},
        }
    }
    summary = mixed.page_summary([report])
    assert summary["p95_ms"] == 80.0 and summary["count"] == 20
    assert summary["failures"] == 1


def test_delivery_counts_lost_and_duplicated_messages_per_socket():
    joined = {"a": ("room-0", 1.0), "b": ("room-0", 1.0), "c": ("room-1", 1.0), "late": ("room-0", 50.0)}
    sent = [("m1", "room-0", 10.0, 10.01, True), ("m2", "room-0", 20.0, 20.01, True), ("m3", "room-0", 30.0, 0, False)]
    received = [("m1", "a", 10.05), ("m1", "b", 10.10), ("m1", "b", 10.20), ("m2", "a", 20.02), ("m1", "late", 60.0)]
    result = mixed.delivery(sent, received, joined)
    # m1 and m2 to a and b (the other room, the late joiner and the refused m3 expect nothing)
    assert result["messages"] == 2
    assert result["expected"] == 4
    assert result["delivered"] == 3
    assert result["lost"] == 1  # m2 never reached b
    assert result["duplicates"] == 1  # b got m1 twice
    assert round(result["p99_ms"]) == 100


def test_cpu_shares_count_processes_that_come_and_go():
    before = {"machine": 100.0, "at": 10.0, "PostgreSQL": {1: 5.0, 2: 3.0}, "servers": {7: 1.0}}
    after = {"machine": 118.0, "at": 20.0, "PostgreSQL": {1: 9.0, 3: 2.0}, "servers": {7: 8.0}}
    shares = mixed.cpu_share(before, after)
    # backend 2 ended (missed), backend 3 started (counted whole): never negative
    assert shares == {"machine": 1.8, "PostgreSQL": 0.6, "servers": 0.7}


def test_staff_grow_with_the_families():
    assert mixed.staff_for(20) == (1, 1)
    assert mixed.staff_for(2000) == (4, 8)


def test_the_chart_marks_broken_steps():
    steps = [
        {**_step(100), "chat": {"p99_ms": 50.0, "lost": 0, "duplicates": 0}, "pages": {"p95_ms": 90.0}},
        {**_step(200), "chat": {"p99_ms": math.nan, "lost": 0, "duplicates": 0}, "pages": {"p95_ms": 400.0}},
    ]
    svg = mixed.svg_chart({"1 process": steps})
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count('fill="red"') == 2  # the broken step's dot and the legend
    assert "nan" not in svg


def test_the_chart_keeps_its_scale_when_a_step_goes_far_past_the_knee():
    steps = [
        {**_step(100), "chat": {"p99_ms": 50.0, "lost": 0, "duplicates": 0}, "pages": {"p95_ms": 90.0}},
        {**_step(200), "chat": {"p99_ms": 6008.0, "lost": 0, "duplicates": 0}, "pages": {"p95_ms": 2700.0}},
    ]
    svg = mixed.svg_chart({"1 process": steps})
    ticks = [int(t) for t in re.findall(r'text-anchor="end">(\d+)</text>', svg)]
    assert max(ticks) < 2700  # the scale stops short of the far step: those before it are not flattened
    assert "page p95 2700 ms" in svg and "chat p99 6008 ms" in svg  # the values off the scale are written


# --- what the simulated people click, on the pages the portal really renders -------------------


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.headers.get("Location"))
    return response.get_data(as_text=True)


def _post(client, path, html, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": mixed_pages.csrf_token(html)}, **kwargs)


def test_a_family_finds_the_check_the_session_and_its_invitation(seeded, client, auth):
    from portal.calendar.models import RSVP

    auth.login("family@example.org", DEMO_PASSWORD)
    lesson = _page(client, "/lessons/read/what-an-iop-is")
    answer = mixed_pages.answer_form(lesson, pick=1)
    assert answer is not None
    checked = _post(
        client, "/lessons/read/what-an-iop-is/answer", lesson, answer, headers={"Accept": "application/json"}
    )
    assert checked.status_code == 200 and checked.get_json()["ok"]

    path = mixed_pages.session_path(_page(client, "/calendar/"))
    assert path is not None
    session = _page(client, path)
    reply = mixed_pages.rsvp_form(session, pick=1)
    assert reply is not None
    assert _post(client, f"{path}/rsvp", session, reply).status_code == 302
    assert db.session.scalar(sa.select(RSVP.response)) == reply["response"]


def test_a_family_fetches_the_static_files_a_page_names_as_a_browser_would(seeded, client, auth):
    auth.login("family@example.org", DEMO_PASSWORD)
    files = mixed_pages.static_files(_page(client, "/rooms/welcome"))
    names = [f.split("?")[0] for f in files]
    assert {"/static/css/portal.css", "/static/js/rooms/main.js", "/static/vendor/socket.io.min.js"} <= set(names)
    assert len(names) == len(set(names))
    for path in files:
        response = client.get(path)
        assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"], path


def test_a_moderator_finds_the_flags_to_dismiss(seeded, client, auth):
    from portal.auth.models import User
    from portal.rooms import services
    from portal.rooms.models import Flag, Message

    jordan = db.session.scalar(sa.select(User).filter_by(email="family2@example.org"))
    message = db.session.scalar(sa.select(Message).order_by(Message.id))
    assert services.flag_message(jordan, message, "bench: please look")
    auth.login("moderator@example.org", DEMO_PASSWORD)
    console = _page(client, "/rooms/console")
    flags = mixed_pages.open_flags(console)
    assert len(flags) == 1
    assert _post(client, f"/rooms/console/flags/{flags[0]}/dismiss", console, {}).status_code == 302
    assert db.session.scalar(sa.select(Flag.resolved_at)) is not None


def test_a_counselor_changes_a_session_and_posts_an_assignment(seeded, client, auth):
    from portal.calendar.models import SessionSeries
    from portal.care.models import Client
    from portal.lessons.models import Assignment

    sam = db.session.scalar(sa.select(Client).filter_by(full_name="Sam Rivera"))
    series = db.session.scalar(sa.select(SessionSeries.id).filter_by(client_id=sam.id))
    auth.login("counselor@example.org", DEMO_PASSWORD)
    sessions = mixed_pages.managed_sessions(_page(client, f"/calendar/manage/{series}"))
    assert len(sessions) > 1
    page = _page(client, sessions[1])
    changed = _post(client, f"{sessions[1]}/change", page, mixed_pages.change_form(3))
    assert changed.status_code == 302 and changed.headers["Location"].endswith(sessions[1])

    assign = _page(client, f"/lessons/clients/{sam.id}/assign")
    data = mixed_pages.assign_form(assign, pick=2)
    assert data is not None
    posted = _post(client, f"/lessons/clients/{sam.id}/assign", assign, data)
    assert posted.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == len(data["members"])
