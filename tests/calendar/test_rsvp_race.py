"""Two people confirming the last seat at the same moment: exactly one gets it.

Each reply runs in its own thread, app context, session and database connection. A hook makes
the interleaving that loses a seat certain instead of lucky: after reading the seats, each
thread waits until the other has read them too, unless the other is (still) waiting for the
seat lock. Without the lock both read "one seat free" and both would be going; with it the
second one reads after the first committed.

On SQLite a brand-new reply is inserted (autoflush) before the count, and that insert already
waits for the other writer; replies changed from "maybe" to "going" have no such write, which is
why both cases run. Without `lock_seats` the PostgreSQL runs all fail, and the SQLite runs fail
for "maybe to going" and for the double submit (a unique-key error).
"""

import threading

import pytest
import sqlalchemy as sa

from portal.auth.models import User
from portal.calendar import roster
from portal.calendar.models import RSVP, SessionSeries
from portal.calendar.schedule import occurrences_of
from portal.extensions import db
from tests.calendar.conftest import make_series
from tests.factories import link_family, make_user

ROUNDS = 3
PATIENCE = 200  # polls of 0.02 s before a thread stops waiting for the other (never reached when correct)


class Interleaver:
    """Holds each thread, after it read the seats, until the other one read them or is locked out."""

    def __init__(self, monkeypatch):
        self.read = {}
        self.locking = {}
        self.start = threading.Barrier(2)
        real_lock, real_read = roster.lock_seats, roster.rsvps_for

        def lock_seats(series_id):
            me = threading.current_thread().name
            self.locking[me].set()
            try:
                return real_lock(series_id)
            finally:
                self.locking[me].clear()

        def rsvps_for(series_id, original):
            rows = real_read(series_id, original)
            me = threading.current_thread().name
            if me in self.read:
                self.read[me].set()
                other = next(name for name in self.read if name != me)
                waited = threading.Event()
                for _ in range(PATIENCE):
                    if self.read[other].is_set() or self.locking[other].is_set():
                        break
                    waited.wait(0.02)
            return rows

        monkeypatch.setattr(roster, "lock_seats", lock_seats)
        monkeypatch.setattr(roster, "rsvps_for", rsvps_for)

    def run(self, app, series_id, user_ids):
        results, errors = {}, []

        def reply(name, user_id):
            try:
                with app.app_context():
                    series = db.session.get(SessionSeries, series_id)
                    occurrence = occurrences_of(series)[0]
                    user = db.session.get(User, user_id)
                    self.start.wait()
                    rsvp = roster.respond(user, occurrence, "going")
                    results[name] = (user_id, rsvp.holds_seat, rsvp.waitlisted)
            except Exception as error:  # noqa: BLE001 — reported by the test
                errors.append(error)

        threads = []
        for index, user_id in enumerate(user_ids):
            name = f"reply-{index}"
            self.read[name], self.locking[name] = threading.Event(), threading.Event()
            threads.append(threading.Thread(target=reply, args=(name, user_id), name=name))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results, errors


@pytest.fixture
def file_database(app):
    if app.config["SQLALCHEMY_DATABASE_URI"] in ("sqlite://", "sqlite:///:memory:"):
        pytest.skip("one in-memory SQLite connection cannot show a race between two connections")


@pytest.fixture
def last_seat(counselor, sam, linked_family):
    series = make_series(counselor, client=sam, capacity=1, count=2, notify=False)
    other = make_user(email="other@example.org", display_name="Riley")
    link_family(other, sam, witness=counselor)
    db.session.commit()
    return series, linked_family.id, other.id


@pytest.mark.parametrize("round_", range(ROUNDS))
@pytest.mark.parametrize("before", [None, "maybe"], ids=["new-replies", "maybe-to-going"])
def test_two_people_confirming_the_last_seat_at_once(app, monkeypatch, file_database, last_seat, before, round_):
    series, first, second = last_seat
    if before:  # replies that exist already are updated, not inserted: no write before the count
        occurrence = occurrences_of(series)[0]
        for user_id in (first, second):
            roster.respond(db.session.get(User, user_id), occurrence, before)
    results, errors = Interleaver(monkeypatch).run(app, series.id, [first, second])
    assert errors == []
    assert sorted((seat, waiting) for _, seat, waiting in results.values()) == [(False, True), (True, False)]
    db.session.expire_all()
    rows = db.session.scalars(sa.select(RSVP).where(RSVP.series_id == series.id)).all()
    assert len(rows) == 2
    assert sum(r.holds_seat for r in rows) == 1 and sum(r.waitlisted for r in rows) == 1


@pytest.mark.parametrize("round_", range(2))
def test_a_double_submit_from_two_tabs_keeps_one_row(app, monkeypatch, file_database, last_seat, round_):
    series, first, _ = last_seat
    results, errors = Interleaver(monkeypatch).run(app, series.id, [first, first])
    assert errors == []  # no unique-constraint failure (a 500 on the page)
    assert sorted(results.values()) == [(first, True, False), (first, True, False)]
    db.session.expire_all()
    rows = db.session.scalars(sa.select(RSVP).where(RSVP.series_id == series.id)).all()
    assert len(rows) == 1 and rows[0].holds_seat
