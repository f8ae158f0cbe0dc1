"""The shared fixtures keep their promises: each test starts from an empty database, or from the
demo data alone."""

import pytest

from portal.extensions import db
from tests import conftest
from tests.factories import DEMO_ROLES, make_client, make_user


def test_the_demo_data_is_seeded_on_an_empty_database(app, request, monkeypatch):
    """A test followed by one that uses `seeded` leaves its rows (the demo data is put back over
    them); when that next test is the first of its worker to seed, the demo data must not be
    seeded on top of them. It was: a left-over client took id 1, the snapshot held it, and the
    counselor's form tests opened someone else's client (404 instead of 422)."""
    left_over = make_user("left-over@example.org")
    make_client(counselor=left_over, full_name="Left Over")
    db.session.commit()
    monkeypatch.setattr(conftest, "_DEMO_SNAPSHOTS", {})  # as for the first test of a worker

    rows = request.getfixturevalue("seeded")

    assert {user["email"] for user in rows["users"]} >= {email for email in DEMO_ROLES.values() if email}
    assert "left-over@example.org" not in {user["email"] for user in rows["users"]}
    assert [client["full_name"] for client in rows["clients"]] == ["Sam Rivera"]


def test_the_demo_data_comes_back_after_a_test_changed_a_module(app, seeded, database_url):
    """PostgreSQL keeps the curriculum's tables while nothing changed them; a test that changed
    a module (an author's edit) but none of its lessons made the next restore fail: the changed
    module was emptied while its kept lessons still referred to it."""
    from portal.lessons.models import Module

    module_id = seeded["lesson_modules"][0]["id"]
    module = db.session.get(Module, module_id)
    original = module.title
    module.title = "Changed by a test"
    db.session.commit()

    conftest._DEMO_SNAPSHOTS[database_url].restore()

    assert db.session.get(Module, module_id).title == original
    assert db.session.scalar(db.select(db.func.count()).select_from(Module)) == len(seeded["lesson_modules"])


def test_each_xdist_group_stays_on_one_worker(request):
    """`make test` runs with `--dist loadgroup`: the tests that start servers (group servers) run
    on one worker, never two at once (their ports, processes and timeouts). xdist marks a group
    by appending it to the test's id; under pytest 9.2 that append silently did nothing, and
    both workers started server processes side by side."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not a `--dist loadgroup` worker")
    grouped = {
        item.nodeid: marker.args[0]
        for item in request.session.items
        if (marker := item.get_closest_marker("xdist_group")) is not None
    }
    if not grouped:
        pytest.skip("no grouped test collected in this run")
    assert [nodeid for nodeid, group in grouped.items() if not nodeid.endswith(f"@{group}")] == []


def test_the_collector_is_tuned_and_survivors_are_frozen_every_hundred_tests():
    """tests/speedups.py: full collections less often, what outlives FREEZE_EVERY tests frozen,
    and a cycle that becomes garbage after the freeze still collected."""
    import gc
    import weakref

    from tests import speedups

    class Node:
        pass

    assert gc.get_threshold() == speedups.GC_THRESHOLDS
    gc.unfreeze()
    for _ in range(speedups.FREEZE_EVERY):  # one of these is a hundredth test, wherever the run is
        speedups.after_test()
    assert gc.get_freeze_count() > 0
    cycle = Node()
    cycle.itself = cycle
    gone = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert gone() is None
