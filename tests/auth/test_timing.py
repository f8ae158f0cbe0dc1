"""Requests that could tell whether an email has an account do the same work either way.

Two proofs: the SQL statements of the two paths are the same (deterministic), and the medians
of their response times match within a generous ratio (a behaviour test, not a benchmark:
requests alternate, so a busy machine slows both sides alike). The reset path used to send the
mail inside the request for an account only (production: 13.8 ms vs 6.1 ms)."""

import re
from statistics import median
from time import perf_counter

import pytest

from portal.extensions import limiter
from tests.factories import make_user
from tests.statements import counting

ROUNDS = 30
RATIO = 1.5
NEW_PASSWORD = "lantern meadow copper violin"


def _shape(statement):
    """The statement without its literal values (SQLite inlines none, but be safe)."""
    return re.sub(r"\s+", " ", statement).strip()


def _statements(send, email):
    limiter.reset()
    with counting() as statements:
        send(email)
    return [_shape(s) for s in statements]


def _medians(send, known, unknown, rounds=ROUNDS):
    """Median seconds of send(known) and send(unknown), the two alternating in both orders."""
    times = {known: [], unknown: []}
    for n in range(rounds):
        for email in (known, unknown) if n % 2 else (unknown, known):
            limiter.reset()  # these pages allow 10 an hour; the test sends more
            start = perf_counter()
            send(email)
            times[email].append(perf_counter() - start)
    return median(times[known]), median(times[unknown])


def _assert_alike(known, unknown):
    assert 1 / RATIO < known / unknown < RATIO, f"median {known * 1000:.2f} ms vs {unknown * 1000:.2f} ms"


@pytest.fixture
def reset(client, auth):
    make_user(email="known@example.org")
    token = auth.csrf("/auth/reset")

    def send(email):
        response = client.post("/auth/reset", data={"email": email, "csrf_token": token})
        assert response.status_code == 200

    send("warm-up@example.org")
    return send


def test_reset_request_runs_the_same_statements_for_any_address(reset):
    assert _statements(reset, "known@example.org") == _statements(reset, "nobody@example.org")


@pytest.mark.slow
def test_reset_request_takes_the_same_time_for_any_address(reset):
    _assert_alike(*_medians(reset, "known@example.org", "nobody@example.org"))


@pytest.fixture
def email_change(client, auth):
    make_user(email="me@example.org")
    make_user(email="taken@example.org")
    auth.login("me@example.org")
    token = auth.csrf("/auth/account/email")
    from tests.factories import PASSWORD

    def send(email):
        data = {"email": email, "password": PASSWORD, "csrf_token": token}
        response = client.post("/auth/account/email", data=data)
        assert response.status_code == 200, response.status_code

    send("warm-up@example.org")
    return send


def test_email_change_runs_the_same_statements_for_a_free_or_taken_address(email_change):
    assert _statements(email_change, "taken@example.org") == _statements(email_change, "free@example.org")


@pytest.mark.slow
def test_email_change_takes_the_same_time_for_a_free_or_taken_address(email_change):
    _assert_alike(*_medians(email_change, "taken@example.org", "free@example.org"))


@pytest.mark.slow
def _letters(n):
    """A distinct name suffix of letters only (digits fold away in the uniqueness check)."""
    return chr(97 + n // 26 % 26) + chr(97 + n % 26)


def test_sign_up_takes_the_same_time_for_a_new_or_existing_address(client, auth):
    """Both paths hash the password once, write an audit event and one queued message and
    commit; only the new account's own rows differ."""
    make_user(email="known@example.org")
    token = auth.csrf("/auth/signup")
    fresh = iter(range(10_000))

    names = iter(range(10_000))

    def send(email):
        if email == "new":
            email = f"new{next(fresh)}@example.org"
        data = {
            "email": email,
            "display_name": "River " + _letters(next(names)),  # display names are unique
            "timezone": "America/New_York",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": token,
        }
        assert client.post("/auth/signup", data=data).status_code == 200

    send("new")
    _assert_alike(*_medians(send, "known@example.org", "new"))
