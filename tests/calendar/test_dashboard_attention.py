"""A counselor's today panel shows each session's replies; an unanswered next session comes first
for a family member."""

from datetime import timedelta

from portal.calendar import roster
from portal.calendar.schedule import occurrences_in
from portal.calendar.views import counselor_panel, next_session_panel
from portal.clock import utcnow
from tests.calendar.conftest import make_series


def test_today_panel_counts_who_is_coming(app, counselor, sam, linked_family):
    soon = (utcnow() + timedelta(minutes=90)).astimezone(make_series(counselor, client=sam).zone)
    soon = soon.replace(second=0, microsecond=0)
    series = make_series(counselor, client=sam, first=soon.date(), at=soon.time(), repeat="none")
    with app.test_request_context():
        panel = counselor_panel(counselor)
        if soon.date() != utcnow().astimezone(series.zone).date():
            return  # the day's last 90 minutes: no session today to count
        assert any("0 coming" in label for label, _url in panel["links"])
        assert panel["priority"] == 25


def test_unanswered_next_session_asks_for_a_reply_first(app, counselor, sam, linked_family):
    series = make_series(counselor, client=sam)
    with app.test_request_context():
        panel = next_session_panel(linked_family)
        assert panel["priority"] == 15 and "not said yet" in panel["text"]
        first = occurrences_in([series], utcnow(), utcnow() + timedelta(weeks=8), include_cancelled=False)[0]
        roster.respond(linked_family, first, "going")
        panel = next_session_panel(linked_family)
        assert panel["priority"] == 20 and "not said yet" not in panel["text"]


def test_a_session_at_a_glance_counts_seats_and_the_waitlist(app, counselor, sam, linked_family):
    from portal.calendar.schedule import occurrences_of
    from portal.calendar.views import _replies
    from tests.factories import link_family, make_user

    series = make_series(counselor, client=sam, capacity=1, count=2)
    occurrence = occurrences_of(series)[0]
    second, third = make_user(email="second@example.org"), make_user(email="third@example.org")
    for person in (second, third):
        link_family(person, sam, witness=counselor)
    roster.respond(linked_family, occurrence, "going")  # the one seat
    roster.respond(second, occurrence, "going")  # waits for it
    roster.respond(third, occurrence, "maybe")  # neither
    with app.test_request_context():
        assert _replies(occurrence) == "1 coming (1 waiting)"
