"""Loading the signed-in user costs one SQL statement per request, however many roles they hold."""

from portal.security import Role
from tests.factories import make_user
from tests.statements import statements_of_get


def _count_statements(client, path):
    return statements_of_get(client, path, warm_up=False)


def test_session_user_and_roles_load_in_one_statement(client, auth):
    make_user(email="staff@example.org", roles=(Role.COUNSELOR, Role.MODERATOR, Role.ADMIN))
    auth.login("staff@example.org")
    client.get("/auth/account")  # let the once-a-minute idle-clock write happen elsewhere
    statements = _count_statements(client, "/auth/account")
    loads = [s for s in statements if "session_records" in s]
    assert len(loads) == 1
    assert not any(s.lstrip().upper().startswith("SELECT") and "FROM user_roles" in s for s in statements)


def test_responses_that_do_not_change_the_session_send_no_cookie(client, auth):
    """Regression: every response re-sent the session cookie, so a slow stylesheet response could
    overwrite a newer cookie (the two-step setup then failed with "code did not match")."""
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    response = client.get("/static/css/portal.css")
    assert "Set-Cookie" not in response.headers
