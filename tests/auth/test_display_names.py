"""Display names: 2–40 characters, trimmed, no control characters, never an email address."""

import pytest

from portal.auth.models import User
from portal.auth.names import display_name_problems
from portal.extensions import db
from tests.factories import make_user


@pytest.mark.parametrize("name", ["Jo", "River Song", "María José", "Mom of 3", "李雷", "x" * 40, "  Sam  "])
def test_acceptable_names(request_context, name):
    assert display_name_problems(name) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("J", "between 2 and 40"),
        ("   J   ", "between 2 and 40"),
        ("x" * 41, "between 2 and 40"),
        ("Bell\x07", "ordinary"),
        ("Line\nbreak", "ordinary"),
        ("zero\u200bwidth", "ordinary"),
        ("evil\u202eflip", "ordinary"),
        ("pat@example.org", "email"),
        ("Call me at pat@mail.example.com", "email"),
    ],
)
def test_refused_names(request_context, name, reason):
    problems = display_name_problems(name)
    assert problems and reason in problems[0]


def test_profile_edit_trims_and_saves(client, auth):
    user = make_user(email="pat@example.org")
    auth.login("pat@example.org")
    response = auth.post("/auth/account", {"display_name": "  Robin  ", "timezone": "America/Denver"})
    assert response.status_code == 302
    db.session.expire_all()
    assert user.display_name == "Robin"
    assert user.timezone == "America/Denver"


@pytest.mark.parametrize(
    "fields",
    [
        {"display_name": "pat@example.org", "timezone": "America/Denver"},
        {"display_name": "R", "timezone": "America/Denver"},
        {"display_name": "Robin", "timezone": "Mars/Olympus_Mons"},
        {"display_name": "x" * 10_000, "timezone": "America/Denver"},
    ],
)
def test_profile_edit_refuses_bad_values(client, auth, fields):
    user = make_user(email="pat@example.org", display_name="Pat")
    auth.login("pat@example.org")
    response = auth.post("/auth/account", fields)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Pat"


def test_profile_needs_login(client):
    assert client.get("/auth/account").status_code == 302
