"""Login throttling per account and per IP, with a friendly 429 page and an audit entry."""

from portal.audit import AuditEvent
from portal.extensions import db
from tests.factories import make_user

WRONG = "definitely not the password"


def lockouts():
    return list(db.session.scalars(db.select(AuditEvent).filter_by(action="auth.lockout")))


def test_five_failures_lock_the_account_even_for_the_right_password(client, auth):
    user = make_user(email="pat@example.org")
    for _ in range(5):
        assert auth.login("pat@example.org", WRONG).status_code == 422
    response = auth.login("pat@example.org")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Please wait a few minutes" in page
    assert "Traceback" not in page
    events = lockouts()
    assert len(events) == 1
    assert events[0].object_id == str(user.id)
    assert events[0].detail["scope"] == "account"
    assert events[0].outcome == "denied"


def test_account_lock_is_per_account_and_case_insensitive(client, auth):
    make_user(email="pat@example.org")
    make_user(email="sam@example.org")
    for _ in range(5):
        auth.login("Pat@Example.org ", WRONG)
    assert auth.login("pat@example.org").status_code == 429
    assert auth.login("sam@example.org").status_code == 302


def test_successful_logins_do_not_count_towards_the_lock(client, auth):
    make_user(email="pat@example.org")
    for _ in range(6):
        assert auth.login("pat@example.org").status_code == 302
        auth.logout()


def test_per_ip_limit_across_many_accounts(client, auth):
    for n in range(20):
        auth.login(f"someone{n}@example.org", WRONG)
    response = auth.login("another@example.org", WRONG)
    assert response.status_code == 429
    assert lockouts()[-1].detail["scope"] == "ip"


def test_other_addresses_are_not_locked_by_one_ip(app, auth):
    for n in range(20):
        auth.login(f"someone{n}@example.org", WRONG)
    other = app.test_client()
    token = type(auth)(other).csrf()
    response = other.post(
        "/auth/login",
        data={"email": "x@example.org", "password": WRONG, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 422


def test_429_answers_json_to_api_clients(client, auth):
    for _ in range(5):
        auth.login("pat@example.org", WRONG)
    token = auth.csrf()
    response = client.post(
        "/auth/login",
        data={"email": "pat@example.org", "password": WRONG, "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 429
    assert response.get_json()["error"] == 429


def test_limiter_storage_is_reset_between_tests_part_one(auth):
    for _ in range(5):
        auth.login("pat@example.org", WRONG)
    assert auth.login("pat@example.org", WRONG).status_code == 429


def test_limiter_storage_is_reset_between_tests_part_two(auth):
    assert auth.login("pat@example.org", WRONG).status_code == 422
