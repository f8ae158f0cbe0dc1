"""Two overlapping calls in a fixed order, for the tests of what two requests racing each other do."""

import threading


def overlap(work, first_is_inside, *, meanwhile=None, timeout=30):
    """Run work("A") on a thread; once it sets the event `first_is_inside`, run work("B") on a
    second thread; call `meanwhile()` while both may be running (to watch B, then let A go on);
    wait for both. work must end its own app context and database session."""
    first = threading.Thread(target=work, args=("A",), name="A")
    first.start()
    assert first_is_inside.wait(10), "the first call never reached the point of the race"
    second = threading.Thread(target=work, args=("B",), name="B")
    second.start()
    if meanwhile is not None:
        meanwhile()
    first.join(timeout)
    second.join(timeout)
    assert not first.is_alive() and not second.is_alive(), "a racing call did not finish"
