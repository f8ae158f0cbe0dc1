"""Start here: a new family member's dashboard opens with a welcome; skippable, findable again."""

import pytest

from portal.auth.models import User
from portal.extensions import db
from portal.security import Role
from tests.factories import make_user

START = "Start here: welcome to Family Bridge"


def _main(html):
    return html.split('id="main"')[1]


def test_first_visit_opens_the_welcome_on_the_dashboard(client, auth, family):
    auth.login(family.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert START in html
    main = _main(html)
    assert main.index(START) < main.index("My family")
    assert "Your counselor sees nothing private" in html
    for step in (
        "Pick your role and start the recommended lessons",
        "Say hello in the Welcome room",
        "See your sessions",
    ):
        assert step in html
    assert html.count("<h1") == 1


@pytest.mark.parametrize(
    ("step", "location"),
    [
        ("role", "/lessons/#recommended-path"),
        ("room", "/rooms/welcome"),
        ("sessions", "/calendar/"),
        ("dashboard", "/dashboard"),
    ],
)
def test_a_first_step_or_skip_records_the_welcome_and_leads_there(client, auth, family, step, location):
    auth.login(family.email)
    response = auth.post("/welcome", {"step": step}, page="/dashboard")
    assert response.status_code == 302 and response.headers["Location"] == location
    assert db.session.get(User, family.id).welcomed_at is not None
    html = client.get("/dashboard").get_data(as_text=True)
    assert START not in html
    assert 'href="/welcome"' in html  # findable again
    assert client.get("/welcome").status_code == 200


def test_the_welcome_needs_csrf_and_a_known_step(client, auth, family):
    auth.login(family.email)
    assert client.post("/welcome", data={"step": "role"}).status_code == 400
    for hostile in ("https://evil.example", "<script>", "' OR 1=1", "x" * 5000):
        response = auth.post("/welcome", {"step": hostile}, page="/dashboard")
        assert response.status_code == 302 and response.headers["Location"] == "/welcome"
    assert db.session.get(User, family.id).welcomed_at is None


def test_staff_never_get_the_family_welcome(client, auth):
    make_user(email="casey@example.org", roles=(Role.COUNSELOR,))
    auth.login("casey@example.org")
    html = client.get("/dashboard").get_data(as_text=True)
    assert START not in html and 'href="/welcome"' not in html


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/welcome").status_code == 302
    assert client.post("/welcome", data={"step": "role"}).status_code in (302, 400)
