"""SQL statements per calendar page must not grow with the number of sessions."""

import pytest
import sqlalchemy as sa

from portal.calendar import roster
from portal.calendar.models import RSVP
from portal.calendar.schedule import occurrences_of
from portal.calendar.services import cancel_one
from portal.extensions import db
from tests.calendar.conftest import make_series
from tests.factories import make_user
from tests.statements import counting


def _add_sessions(counselor, sam, program, linked_family, n):
    for i in range(n):
        series = make_series(
            counselor,
            client=sam if i % 2 else None,
            program=None if i % 2 else program,
            count=8,
            notify=False,
        )
        occs = occurrences_of(series)
        roster.respond(linked_family, occs[0], "going")
        cancel_one(counselor, series, occs[1].original_start, "Closed")


# Upper bounds, so a page that gains a statement is noticed. The agenda: the session, the
# family links (consent, client, program), the series with their changes, the RSVPs, the unread
# count and the disclosure audit row; the month view needs neither RSVPs nor the count. The
# dashboard also asks for the open "try this week" practices, the counselor's assignments, the
# person's room bans (a banned room is not listed) and their reply to the next session.
CEILINGS = {"/calendar/": 6, "/calendar/month": 4, "/dashboard": 17, "/calendar/notifications": 5}


@pytest.mark.parametrize("path", ["/calendar/", "/calendar/month", "/dashboard", "/calendar/notifications"])
def test_family_pages_use_a_constant_number_of_statements(client, auth, counselor, sam, program, linked_family, path):
    _add_sessions(counselor, sam, program, linked_family, 2)  # one of each audience
    auth.login(linked_family.email)
    client.get(path)
    with counting(expire=True) as few:
        assert client.get(path).status_code == 200
    _add_sessions(counselor, sam, program, linked_family, 12)
    with counting(expire=True) as many:
        assert client.get(path).status_code == 200
    assert len(many) == len(few), (path, len(few), len(many))
    assert len(many) <= CEILINGS[path], (path, len(many), many)


def test_feed_uses_a_constant_number_of_statements(client, counselor, sam, program, linked_family):
    from portal.calendar.feeds import feed_token

    path = f"/calendar/feed/{feed_token(linked_family)}.ics"
    _add_sessions(counselor, sam, program, linked_family, 2)  # one of each audience
    with counting(expire=True) as few:
        client.get(path)
    _add_sessions(counselor, sam, program, linked_family, 12)
    with counting(expire=True) as many:
        client.get(path)
    assert len(many) == len(few)


def test_counselor_schedule_uses_a_constant_number_of_statements(client, auth, counselor, sam, program, linked_family):
    _add_sessions(counselor, sam, program, linked_family, 2)  # one of each audience
    auth.login(counselor.email)
    client.get("/calendar/manage")
    with counting(expire=True) as few:
        client.get("/calendar/manage")
    _add_sessions(counselor, sam, program, linked_family, 12)
    with counting(expire=True) as many:
        client.get("/calendar/manage")
    assert len(many) == len(few)


def test_the_session_page_and_a_reply_count_seats_without_loading_other_replies(
    client, auth, counselor, sam, linked_family
):
    """Seats are counted by the database: the family's session page and a reply loaded every
    reply to the session with its author, work that grew with each family who answered."""
    series = make_series(counselor, client=sam, capacity=3, count=2, notify=False)
    occ = occurrences_of(series)[0]
    for i in range(12):
        person = make_user(email=f"answered{i}@example.org")
        db.session.add(
            RSVP(
                series_id=series.id,
                occurrence_start=occ.original_start,
                user_id=person.id,
                response="going" if i % 2 else "maybe",
                waitlisted=i % 4 == 3,
                requested_at=occ.start,
                created_at=occ.start,
            )
        )
    db.session.commit()  # 6 going, 3 of them waitlisted: 3 seats taken, the session is full
    auth.login(linked_family.email)
    path = f"/calendar/session/{series.id}/{occ.key}"
    loaded = []

    def load(target, context):
        loaded.append(target.user_id)

    sa.event.listen(RSVP, "load", load)
    try:
        page = client.get(path).get_data(as_text=True)
        assert "3 of 3 taken" in page
        assert loaded == []  # not even the reader's own (there is none yet)
        assert auth.post(f"{path}/rsvp", {"response": "going"}, page=path).status_code == 302
    finally:
        sa.event.remove(RSVP, "load", load)
    mine = db.session.scalar(sa.select(RSVP).filter_by(user_id=linked_family.id))
    assert mine.waitlisted  # three seats were taken by others
    assert set(loaded) <= {linked_family.id}, loaded
