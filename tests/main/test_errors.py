"""Error pages: HTML or JSON, never a stack trace; a database outage is a 503."""

import pytest

from portal import create_app


@pytest.fixture
def broken_app(tmp_path):
    """An app whose database cannot be opened."""
    return create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")


def test_database_outage_gives_503_page_and_healthz(broken_app):
    client = broken_app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["database"] != "ok"
    from tests.conftest import AuthActions

    page = AuthActions(client).login("someone@example.org")
    assert page.status_code == 503
    body = page.get_data(as_text=True)
    assert "briefly unavailable" in body
    assert "Traceback" not in body


def test_method_not_allowed_is_405_with_message(client):
    response = client.post("/")
    assert response.status_code == 405
    assert "not allowed" in response.get_data(as_text=True)


def test_logout_by_get_is_refused(client):
    assert client.get("/auth/logout").status_code == 405


def test_oversized_body_is_413(client, app):
    response = client.post("/auth/login", data={"email": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_missing_csrf_token_is_400_with_explanation(client):
    response = client.post("/auth/login", data={"email": "a@example.org", "password": "whatever"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_json_clients_get_json_errors(client):
    response = client.post("/auth/login", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"] == 400


def test_non_utf8_form_bytes_do_not_500(client, auth):
    token = auth.csrf("/auth/login")
    body = b"csrf_token=" + token.encode() + b"&email=%FF%FE%FA&password=%C3%28abcdefghijkl"
    response = client.post("/auth/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500


def test_sql_injection_strings_in_login_are_just_wrong_credentials(client, auth):
    for attempt in ["' OR '1'='1", "admin@example.org'--", '"; DROP TABLE users; --']:
        response = auth.login(attempt, attempt)
        assert response.status_code in (200, 422, 429)
    assert client.get("/healthz").status_code == 200


def test_ten_thousand_character_fields_are_refused_cleanly(client, auth):
    response = auth.login("a" * 10_000 + "@example.org", "b" * 10_000)
    assert response.status_code == 422
    assert "cannot be longer than 254 characters" in response.get_data(as_text=True)


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("body", [DEEP, '{"email": ', "[1, 2, 3]", '"just a string"', "12"])
def test_unreadable_json_on_a_form_route_is_a_json_400(client, auth, body):
    token = auth.csrf("/auth/login")
    response = client.post("/auth/login", data=body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.get_json() == {"error": 400, "message": "The request body is not a valid JSON object."}


def test_a_request_no_route_matches_is_freed_without_the_garbage_collector(app, client):
    """Every Socket.IO event runs in a request context for a URL no route matches. Flask keeps
    the routing error, whose traceback leads back to the context: kept, that cycle waited for the
    garbage collector, and under load such contexts filled the oldest generation."""
    import gc
    import weakref

    from flask import request

    gc.collect()
    gc.disable()
    try:
        context = app.test_request_context("/socket.io/?EIO=4&transport=websocket")
        context.push()
        assert request.routing_exception is not None and request.routing_exception.code == 404
        popped = weakref.ref(context)
        context.pop()
        del context
        assert popped() is None
    finally:
        gc.enable()
    # the error still reaches the error pages, and a URL that is only missing its slash still redirects
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "We could not find that page." in missing.get_data(as_text=True)
    assert client.get("/lessons").status_code == 308
