"""Hostile and malformed input on the account pages: always a 4xx with a clear message, never a 500."""

import pytest

from portal.auth.models import User
from portal.extensions import db
from tests.factories import make_user

LONG = "x" * 10_000
SQLI = ["' OR '1'='1", "pat@example.org' --", '"; DROP TABLE users; --', "x' UNION SELECT password_hash FROM users--"]

FORMS = {
    "/auth/login": {"email": "pat@example.org", "password": "whatever it is"},
    "/auth/signup": {
        "email": "a@example.org",
        "display_name": "River",
        "timezone": "America/New_York",
        "password": "lantern meadow copper violin",
        "confirm": "lantern meadow copper violin",
    },
    "/auth/reset": {"email": "pat@example.org"},
}


@pytest.mark.parametrize("path", list(FORMS))
@pytest.mark.parametrize("field_index", [0, 1])
def test_ten_thousand_character_fields(client, auth, path, field_index):
    data = dict(FORMS[path])
    name = list(data)[min(field_index, len(data) - 1)]
    data[name] = LONG
    response = auth.post(path, data)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", list(FORMS))
def test_missing_csrf_token(client, path):
    response = client.post(path, data=FORMS[path])
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", list(FORMS))
def test_forged_csrf_token(client, auth, path):
    auth.csrf(path)
    response = client.post(path, data={**FORMS[path], "csrf_token": "forged.token.value"})
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)


def test_csrf_token_from_another_session_is_refused(app, client, auth):
    stranger = app.test_client()
    token = type(auth)(stranger).csrf()
    response = client.post("/auth/login", data={**FORMS["/auth/login"], "csrf_token": token})
    assert response.status_code == 400


@pytest.mark.parametrize("email", SQLI)
def test_sql_injection_in_email_signs_nobody_in(client, auth, email):
    make_user(email="pat@example.org")
    response = auth.login(email, "' OR '1'='1' --  padding")
    assert response.status_code == 422
    assert client.get("/dashboard").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


@pytest.mark.parametrize("path", list(FORMS))
def test_non_utf8_bytes_get_a_clear_400(client, auth, path):
    token = auth.csrf(path)
    body = b"csrf_token=" + token.encode() + b"&email=\xff\xfe\xfa%40example.org&password=abc"
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "UTF-8" in response.get_data(as_text=True)


def test_percent_encoded_non_utf8_gets_a_clear_400(client, auth):
    token = auth.csrf()
    body = f"csrf_token={token}&email=%FF%FE&password=abc".encode()
    response = client.post("/auth/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "UTF-8" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["x", "x" * 500, "../../etc/passwd", "' OR 1=1 --"])
def test_garbage_tokens_in_links(client, token):
    for prefix in ("/auth/verify/", "/auth/reset/", "/auth/email/"):
        assert client.get(prefix + token).status_code == 404


def test_nul_in_a_link_is_refused_before_any_view(client):
    for prefix in ("/auth/verify/", "/auth/reset/", "/auth/email/"):
        assert client.get(prefix + "%00").status_code == 400


def test_markup_in_display_name_is_escaped(client, auth):
    make_user(email="pat@example.org", display_name="<b>Pat</b>")
    auth.login("pat@example.org")
    page = client.get("/auth/account").get_data(as_text=True)
    assert "<b>Pat</b>" not in page
    assert "&lt;b&gt;Pat&lt;/b&gt;" in page


def test_double_submitted_verification_is_harmless(client, auth, outbox):
    from tests.auth.helpers import last_link

    password = "lantern meadow copper violin"
    auth.post(
        "/auth/signup",
        {
            "email": "new@example.org",
            "display_name": "River",
            "timezone": "America/New_York",
            "password": password,
            "confirm": password,
        },
    )
    link = last_link(outbox)
    assert auth.post(link).status_code == 302
    assert auth.post(link).status_code == 404
