"""Admin users: list and search, detail, roles, deactivation — all POST + CSRF + audit."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.audit import AuditEvent
from portal.auth.models import SessionRecord, User
from portal.extensions import db
from portal.security import Role
from tests.admin.conftest import quick_users
from tests.factories import PASSWORD, make_user
from tests.statements import statements_of_get


def events(action):
    return list(db.session.scalars(db.select(AuditEvent).filter_by(action=action)))


def roles_of(user):
    db.session.expire_all()
    return {r.value for r in db.session.get(User, user.id).roles}


@pytest.mark.parametrize("role", [Role.FAMILY, Role.MODERATOR, Role.COUNSELOR])
def test_only_admins_may_open_user_pages(client, auth, role):
    make_user(email="pat@example.org", roles=(role,))
    target = make_user()
    auth.login("pat@example.org")
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{target.id}").status_code == 403
    assert auth.post(f"/admin/users/{target.id}/roles", {"roles": ["admin"]}).status_code == 403
    assert auth.post(f"/admin/users/{target.id}/deactivate").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    assert roles_of(target) == {"family"}


def test_visitors_are_sent_to_login(client):
    for path in ("/admin/users", "/admin/users/1", "/admin/audit"):
        assert client.get(path).headers["Location"].startswith("/auth/login"), path


def test_list_and_search(client, signed_in_admin):
    make_user(email="river@example.org", display_name="River")
    make_user(email="sky@example.org", display_name="Sky", roles=(Role.COUNSELOR,))
    page = client.get("/admin/users").get_data(as_text=True)
    assert "River" in page and "Sky" in page and "Avery" in page
    page = client.get("/admin/users?q=riv").get_data(as_text=True)
    assert "River" in page and "Sky" not in page
    page = client.get("/admin/users?q=SKY@EXAMPLE").get_data(as_text=True)
    assert "Sky" in page and "River" not in page
    page = client.get("/admin/users?role=counselor").get_data(as_text=True)
    assert "Sky" in page and "River" not in page


def test_search_treats_wildcards_literally(client, signed_in_admin):
    make_user(email="river@example.org", display_name="River")
    page = client.get("/admin/users", query_string={"q": "%"}).get_data(as_text=True)
    assert "River" not in page
    page = client.get("/admin/users", query_string={"q": "_"}).get_data(as_text=True)
    assert "River" not in page


def test_pagination(client, signed_in_admin):
    users = quick_users(30)
    first = client.get("/admin/users").get_data(as_text=True)
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert users[0].display_name in first and users[-1].display_name in second
    assert 'aria-current="page"' in second and 'rel="prev"' in second
    # Past the last page: not found (was an empty page); never a 500, whatever the number.
    for page in ("3", "999999999999999999999"):
        assert client.get(f"/admin/users?page={page}").status_code == 404
    # Not a page number at all: the first page.
    for page in ("-3", "abc", "0"):
        response = client.get(f"/admin/users?page={page}")
        assert response.status_code == 200 and "Page 1 of 2" in response.get_data(as_text=True)


def count_statements(client, path):
    return len(statements_of_get(client, path, warm_up=False))


def test_user_list_uses_a_constant_number_of_queries(client, signed_in_admin):
    quick_users(3, roles=(Role.FAMILY, Role.MODERATOR))
    few = count_statements(client, "/admin/users")
    quick_users(20, roles=(Role.FAMILY, Role.COUNSELOR))
    many = count_statements(client, "/admin/users")
    assert few == many


def test_audit_list_uses_a_constant_number_of_queries(client, signed_in_admin):
    from portal import audit

    def add_events(n):
        for user in quick_users(n):
            audit.record("test.event", actor=user)
        db.session.commit()

    add_events(2)
    few = count_statements(client, "/admin/audit")
    add_events(15)
    many = count_statements(client, "/admin/audit")
    assert few == many


def test_user_detail_and_unknown_id(client, signed_in_admin):
    user = make_user(email="river@example.org", display_name="River")
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "river@example.org" in page and "<h1>River</h1>" in page
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/users/abc").status_code == 404


def test_grant_and_remove_roles_with_audit(client, auth, signed_in_admin):
    user = make_user(email="river@example.org")
    response = auth.post(f"/admin/users/{user.id}/roles", {"roles": ["family", "moderator", "counselor"]})
    assert response.status_code == 302
    assert roles_of(user) == {"family", "moderator", "counselor"}
    granted = events("user.role_granted")
    assert {e.detail["role"] for e in granted} == {"moderator", "counselor"}
    assert all(e.actor_id == signed_in_admin.id and e.object_id == str(user.id) for e in granted)
    auth.post(f"/admin/users/{user.id}/roles", {"roles": ["counselor"]})
    assert roles_of(user) == {"counselor"}
    assert {e.detail["role"] for e in events("user.role_removed")} == {"family", "moderator"}


def test_role_change_takes_effect_on_the_next_request(app, client, auth, signed_in_admin):
    user = make_user(email="river@example.org")
    other = app.test_client()
    type(auth)(other).login("river@example.org")
    assert other.get("/admin/users").status_code == 403
    auth.post(f"/admin/users/{user.id}/roles", {"roles": ["admin"]})
    assert other.get("/admin/users").status_code == 200


def test_the_last_admin_cannot_remove_their_own_admin_role(client, auth, signed_in_admin):
    make_user(roles=(Role.ADMIN,), active=False)  # a deactivated admin does not count
    response = auth.post(f"/admin/users/{signed_in_admin.id}/roles", {"roles": ["counselor"]})
    assert response.status_code == 409
    assert "You are the last admin. Make someone else an admin first" in response.get_data(as_text=True)
    assert roles_of(signed_in_admin) == {"admin"}
    assert events("user.role_removed") == [] and events("user.role_granted") == []


def test_an_admin_may_step_down_while_another_admin_remains(client, auth, signed_in_admin):
    make_user(roles=(Role.ADMIN,))
    assert auth.post(f"/admin/users/{signed_in_admin.id}/roles", {"roles": ["counselor"]}).status_code == 302
    assert roles_of(signed_in_admin) == {"counselor"}
    assert [e.detail["role"] for e in events("user.role_removed")] == ["admin"]


def test_the_last_admin_rule_holds_in_the_service_for_any_actor(app, signed_in_admin):
    from portal.admin import services

    actor = make_user()
    with app.test_request_context(), pytest.raises(services.AdminError, match="Avery is the last admin"):
        services.set_roles(actor, signed_in_admin, ["family"])
    with app.test_request_context(), pytest.raises(services.AdminError, match="Avery is the last admin"):
        services.deactivate(actor, signed_in_admin)
    db.session.expire_all()
    assert roles_of(signed_in_admin) == {"admin"} and db.session.get(User, signed_in_admin.id).active


def test_admin_can_add_roles_to_self(client, auth, signed_in_admin):
    auth.post(f"/admin/users/{signed_in_admin.id}/roles", {"roles": ["admin", "moderator"]})
    assert roles_of(signed_in_admin) == {"admin", "moderator"}


@pytest.mark.parametrize("roles", [["superuser"], ["admin", "root"], [], ["x" * 10_000], ["' OR 1=1 --"]])
def test_unknown_or_missing_roles_are_refused(client, auth, signed_in_admin, roles):
    user = make_user(email="river@example.org")
    response = auth.post(f"/admin/users/{user.id}/roles", {"roles": roles})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Unknown role" in page or "at least one role" in page
    assert roles_of(user) == {"family"}


def test_role_change_needs_csrf(client, signed_in_admin):
    user = make_user(email="river@example.org")
    response = client.post(f"/admin/users/{user.id}/roles", data={"roles": ["admin"]})
    assert response.status_code == 400
    assert roles_of(user) == {"family"}


def test_role_change_needs_recent_authentication(client, auth):
    make_user(email="avery@example.org", roles=(Role.ADMIN,))
    user = make_user(email="river@example.org")
    start = datetime(2026, 3, 5, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        auth.login("avery@example.org")
        traveller.shift(timedelta(minutes=11))
        response = auth.post(f"/admin/users/{user.id}/roles", {"roles": ["admin"]})
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/reauthenticate?next=")
        assert roles_of(user) == {"family"}
        auth.post("/auth/reauthenticate", {"password": PASSWORD})
        assert auth.post(f"/admin/users/{user.id}/roles", {"roles": ["admin"]}).status_code == 302
        assert roles_of(user) == {"admin"}


def test_deactivate_ends_sessions_and_blocks_login(app, client, auth, signed_in_admin):
    user = make_user(email="river@example.org")
    other = app.test_client()
    type(auth)(other).login("river@example.org")
    assert other.get("/dashboard").status_code == 200
    response = auth.post(f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 302
    assert other.get("/dashboard").status_code == 302
    records = db.session.scalars(db.select(SessionRecord).filter_by(user_id=user.id)).all()
    assert records and all(r.revoked_reason == "deactivated" for r in records)
    assert len(events("user.deactivated")) == 1
    assert type(auth)(app.test_client()).login("river@example.org").status_code == 422


def test_reactivate(client, auth, signed_in_admin):
    user = make_user(email="river@example.org", active=False)
    assert auth.post(f"/admin/users/{user.id}/reactivate").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).active
    assert len(events("user.reactivated")) == 1


def test_the_last_admin_cannot_deactivate_self(client, auth, signed_in_admin):
    response = auth.post(f"/admin/users/{signed_in_admin.id}/deactivate")
    assert response.status_code == 409
    assert "You are the last admin" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, signed_in_admin.id).active
    assert events("user.deactivated") == []


def test_an_admin_may_deactivate_self_while_another_admin_remains(client, auth, signed_in_admin):
    make_user(roles=(Role.ADMIN,))
    assert auth.post(f"/admin/users/{signed_in_admin.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, signed_in_admin.id).active
    assert client.get("/admin/users").status_code == 302  # signed out at once


def test_account_changes_are_post_only(client, signed_in_admin):
    user = make_user()
    for action in ("roles", "deactivate", "reactivate"):
        assert client.get(f"/admin/users/{user.id}/{action}").status_code == 405


def test_changes_to_unknown_users_are_404(client, auth, signed_in_admin):
    assert auth.post("/admin/users/999999/deactivate").status_code == 404
    assert auth.post("/admin/users/999999/roles", {"roles": ["admin"]}).status_code == 404


@pytest.mark.parametrize("q", ["x" * 10_000, "' OR 1=1 --", '"; DROP TABLE users; --', "<script>alert(1)</script>"])
def test_hostile_search(client, signed_in_admin, q):
    response = client.get("/admin/users", query_string={"q": q})
    assert response.status_code in (200, 422)
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    if len(q) > 100:
        assert response.status_code == 422 and "100" in page


def test_unknown_role_filter_is_a_clear_422(client, signed_in_admin):
    response = client.get("/admin/users?role=superuser")
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_dashboard_panel_for_admins_only(client, auth, signed_in_admin):
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Administration" in page and "/admin/users" in page and "/admin/audit" in page
    auth.logout()
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    assert "Administration" not in client.get("/dashboard").get_data(as_text=True)


# --- resetting two-step sign-in -----------------------------------------------------------------


def _enrolled_counselor(email="casey@example.org"):
    import pyotp

    from portal.auth import mfa

    user = make_user(email=email, roles=(Role.COUNSELOR,))
    secret = mfa.new_secret()
    mfa.enable(user, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    return user


def test_admin_resets_two_step_sign_in_for_someone_who_lost_everything(app, client, auth, signed_in_admin, outbox):
    from portal.auth.models import RecoveryCode

    user = _enrolled_counselor()
    other = app.test_client()
    type(auth)(other).login("casey@example.org")  # half-way: the code page
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Reset two-step sign-in" in page

    response = auth.post(f"/admin/users/{user.id}/reset-two-step")
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert not user.mfa_enabled and user.totp_secret_encrypted is None
    assert db.session.scalar(db.select(db.func.count(RecoveryCode.id)).filter_by(user_id=user.id)) == 0
    records = db.session.scalars(db.select(SessionRecord).filter_by(user_id=user.id)).all()
    assert records and all(r.revoked_reason == "mfa_reset" for r in records)
    assert len(events("user.mfa_reset")) == 1
    notice = outbox()[-1]
    assert notice["To"] == "casey@example.org" and "Two-step sign-in was reset" in notice["Subject"]
    # The page no longer offers it, and the person signs in with the password alone again.
    assert "Reset two-step sign-in" not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert type(auth)(app.test_client()).login("casey@example.org").status_code == 302


def test_two_step_reset_is_refused_for_yourself_and_for_no_two_step(client, auth, signed_in_admin):
    plain = make_user(email="river@example.org")
    response = auth.post(f"/admin/users/{plain.id}/reset-two-step")
    assert response.status_code == 409 and "no two-step sign-in to reset" in response.get_data(as_text=True)
    response = auth.post(f"/admin/users/{signed_in_admin.id}/reset-two-step")
    assert response.status_code == 409 and "from your account page" in response.get_data(as_text=True)
    assert events("user.mfa_reset") == []


def test_only_admins_reset_two_step_sign_in(client, auth):
    user = _enrolled_counselor()
    make_user(email="mod@example.org", roles=(Role.MODERATOR, Role.COUNSELOR))
    auth.login("mod@example.org")
    assert auth.post(f"/admin/users/{user.id}/reset-two-step").status_code == 403
    db.session.expire_all()
    assert db.session.get(User, user.id).mfa_enabled
    assert events("user.mfa_reset") == []
