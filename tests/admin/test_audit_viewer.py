"""The audit-log viewer: filters, pages, and never a secret on screen."""

from datetime import UTC, datetime

import pytest

from portal.audit import AuditEvent
from portal.extensions import db
from portal.security import Role
from tests.admin.conftest import quick_users
from tests.factories import make_user


def add_event(action, at, actor=None, client_id=None, detail=None):
    event = AuditEvent(
        action=action,
        at=at,
        actor_id=actor.id if actor else None,
        client_id=client_id,
        outcome="success",
        detail=detail,
    )
    db.session.add(event)
    db.session.commit()
    return event


def rows(page):
    return page.count("<tr>") - 1


def test_counselor_and_family_cannot_view(client, auth):
    make_user(email="casey@example.org", roles=(Role.COUNSELOR,))
    auth.login("casey@example.org")
    assert client.get("/admin/audit").status_code == 403


def test_lists_events_newest_first_with_actor_names(client, signed_in_admin):
    add_event("care.consent_signed", datetime(2026, 1, 2, tzinfo=UTC), actor=signed_in_admin, client_id=7)
    add_event("care.disclosure", datetime(2026, 1, 3, tzinfo=UTC), actor=signed_in_admin, client_id=7)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.index("care.disclosure") < page.index("care.consent_signed")
    assert "Avery" in page and "avery@example.org" in page


def test_filter_by_action_prefix(client, signed_in_admin):
    add_event("care.consent_signed", datetime(2026, 1, 2, tzinfo=UTC))
    add_event("rooms.message_removed", datetime(2026, 1, 2, tzinfo=UTC))
    page = client.get("/admin/audit?action=care.").get_data(as_text=True)
    assert "care.consent_signed" in page and "rooms.message_removed" not in page
    page = client.get("/admin/audit?action=care_").get_data(as_text=True)  # _ is literal
    assert "care.consent_signed" not in page


def test_filter_by_actor_email_or_id(client, signed_in_admin):
    other = make_user(email="casey@example.org", display_name="Casey", roles=(Role.COUNSELOR,))
    add_event("x.by_casey", datetime(2026, 1, 2, tzinfo=UTC), actor=other)
    add_event("x.by_avery", datetime(2026, 1, 2, tzinfo=UTC), actor=signed_in_admin)
    for actor in ("casey@example.org", str(other.id), " CASEY@example.org "):
        page = client.get("/admin/audit", query_string={"actor": actor, "action": "x."}).get_data(as_text=True)
        assert "x.by_casey" in page and "x.by_avery" not in page, actor
    page = client.get("/admin/audit?actor=nobody@example.org&action=x.").get_data(as_text=True)
    assert "x.by_" not in page


def test_filter_by_client(client, signed_in_admin):
    add_event("care.disclosure", datetime(2026, 1, 2, tzinfo=UTC), client_id=7)
    add_event("care.disclosure", datetime(2026, 1, 2, tzinfo=UTC), client_id=8)
    page = client.get("/admin/audit?client=7").get_data(as_text=True)
    assert rows(page) == 1


def test_filter_by_date_range_in_the_viewers_time_zone(client, signed_in_admin):
    # Admin's zone is America/New_York: 2026-01-10 local runs 05:00 UTC to 05:00 UTC next day.
    add_event("x.before", datetime(2026, 1, 10, 4, 59, tzinfo=UTC))
    add_event("x.inside", datetime(2026, 1, 10, 5, 0, tzinfo=UTC))
    add_event("x.late", datetime(2026, 1, 11, 4, 59, tzinfo=UTC))
    add_event("x.after", datetime(2026, 1, 11, 5, 0, tzinfo=UTC))
    page = client.get("/admin/audit?start=2026-01-10&end=2026-01-10&action=x.").get_data(as_text=True)
    assert "x.inside" in page and "x.late" in page
    assert "x.before" not in page and "x.after" not in page


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-13-45",
        "client=abc",
        "start=2026-02-02&end=2026-01-01",
        "action=" + "a" * 10_000,
        "actor=" + "b" * 10_000,
    ],
)
def test_bad_filters_are_a_clear_422(client, signed_in_admin, query):
    response = client.get("/admin/audit?" + query)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_sql_injection_in_filters_is_just_text(client, signed_in_admin):
    add_event("x.one", datetime(2026, 1, 2, tzinfo=UTC))
    for query in ({"action": "' OR '1'='1"}, {"actor": "' OR 1=1 --"}):
        response = client.get("/admin/audit", query_string=query)
        assert response.status_code == 200
        assert "x.one" not in response.get_data(as_text=True)


def test_pages(client, signed_in_admin):
    for user in quick_users(60):
        add_event("x.page", datetime(2026, 1, 2, tzinfo=UTC), actor=user)
    first = client.get("/admin/audit?action=x.").get_data(as_text=True)
    second = client.get("/admin/audit?action=x.&page=2").get_data(as_text=True)
    assert rows(first) == 50 and rows(second) == 10
    assert "action=x." in first.split('rel="next"')[0].rsplit("href=", 1)[1]  # filters kept across pages


def test_never_shows_secrets(client, signed_in_admin):
    add_event(
        "x.leaky",
        datetime(2026, 1, 2, tzinfo=UTC),
        detail={
            "password": "hunter2-secret",
            "reset_token": "tok-abc123",
            "totp_code": "654321",
            "message_body": "private words",
            "api_secret": "s3cr3t",
            "scope": "account",
        },
    )
    page = client.get("/admin/audit?action=x.").get_data(as_text=True)
    for secret in ("hunter2-secret", "tok-abc123", "654321", "private words", "s3cr3t"):
        assert secret not in page
    assert "scope: account" in page


def test_real_login_events_carry_no_password(app, client, auth, signed_in_admin):
    type(auth)(app.test_client()).login("nobody@example.org", "my very secret attempt")
    page = client.get("/admin/audit?action=auth.").get_data(as_text=True)
    assert "auth.login_failed" in page and "auth.login" in page
    assert "my very secret attempt" not in page
