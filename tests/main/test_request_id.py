"""The request id in the audit log: nginx's X-Request-Id when it has the expected shape, else ours."""

import re

import pytest
import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.extensions import db
from tests.factories import PASSWORD, make_user

GENERATED = re.compile(r"[0-9a-f]{16}")


def audited_login(client, auth, request_id):
    """A sign-in of an unverified account (audited as auth.login_unverified) sending request_id."""
    user = make_user(verified=False)
    token = auth.csrf("/auth/login")
    client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        environ_overrides={"HTTP_X_REQUEST_ID": request_id},  # raw: the test client refuses newlines
    )
    row = db.session.scalar(sa.select(AuditEvent).filter_by(action="auth.login_unverified", actor_id=user.id))
    assert row is not None
    return row.request_id


@pytest.mark.parametrize(
    "hostile",
    [
        "abc12345\nFAKE audit line",
        "a" * 10_000,
        "<script>alert(1)</script>",
        "'; DROP TABLE audit_events; --",
        "short",
        "x" * 65,
        "ok-looking id with spaces",
    ],
)
def test_a_hostile_request_id_is_replaced_by_ours(client, auth, hostile):
    stored = audited_login(client, auth, hostile)
    assert stored != hostile[:64]
    assert GENERATED.fullmatch(stored)


@pytest.mark.parametrize("given", ["0f8fad5b-d9cb-469f-a165-70867728950e", "5d41402abc4b2a76b9719d911017c592"])
def test_nginx_and_uuid_request_ids_are_kept(client, auth, given):
    assert audited_login(client, auth, given) == given
