"""Admins invite staff by email: single-use, expiring, audited links; nothing reveals or grants
anything for an address that already has an account; two-step sign-in at first sign-in."""

import re
from datetime import timedelta

import pytest
import time_machine

from portal.audit import AuditEvent
from portal.auth.models import StaffInvitation, User
from portal.clock import utcnow
from portal.extensions import db
from portal.security import Role
from tests.auth.helpers import last_link
from tests.factories import make_user

PASSWORD = "harbor lantern quilt meadow"


def events(action):
    return list(db.session.scalars(db.select(AuditEvent).filter_by(action=action)))


def invite(auth, email="riley@example.org", roles=("counselor",)):
    return auth.post("/admin/invitations", {"email": email, "roles": list(roles)}, page="/admin/invitations")


def accept(client, auth, path, display_name="Riley", password=PASSWORD):
    token = auth.csrf(path)
    return client.post(
        path,
        data={
            "display_name": display_name,
            "timezone": "America/Chicago",
            "password": password,
            "confirm": password,
            "csrf_token": token,
        },
    )


def user(email):
    db.session.expire_all()
    return db.session.scalar(db.select(User).filter_by(email=email))


def test_an_invited_person_sets_their_password_and_gets_the_roles(app, client, auth, signed_in_admin, outbox):
    response = invite(auth, roles=("counselor", "moderator"))
    assert response.status_code == 302
    [message] = outbox()
    assert message["To"] == "riley@example.org" and "counselor, moderator" in message.get_content()
    path = last_link(outbox)
    assert path.startswith("/auth/staff-invitation/")
    [sent] = events("staff_invitation.sent")
    assert sent.actor_id == signed_in_admin.id and sent.detail == {"roles": ["counselor", "moderator"]}
    auth.logout()
    page = client.get(path).get_data(as_text=True)
    assert "riley@example.org" in page and "Create your staff account" in page
    response = accept(client, auth, path)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    riley = user("riley@example.org")
    assert riley.roles == {Role.COUNSELOR, Role.MODERATOR} and riley.is_verified
    assert riley.display_name == "Riley" and riley.timezone == "America/Chicago"
    [accepted] = events("staff_invitation.accepted")
    assert accepted.actor_id == riley.id and accepted.detail["invited_by"] == signed_in_admin.id
    assert auth.login("riley@example.org", PASSWORD).status_code == 302
    invitation = db.session.scalar(db.select(StaffInvitation))
    assert invitation.user_id == riley.id and invitation.state(utcnow()) == "used"
    assert PASSWORD not in str([e.detail for e in db.session.scalars(db.select(AuditEvent))])


def test_the_link_works_once(app, client, auth, signed_in_admin, outbox):
    invite(auth)
    path = last_link(outbox)
    auth.logout()
    assert accept(client, auth, path).status_code == 302
    assert client.get(path).status_code == 404
    assert accept(client, auth, path, display_name="Mallory").status_code == 404
    assert db.session.scalar(db.select(db.func.count(User.id)).filter_by(email="riley@example.org")) == 1


def test_the_link_expires(app, client, auth, signed_in_admin, outbox):
    invite(auth)
    path = last_link(outbox)
    auth.logout()
    with time_machine.travel(utcnow() + app.config["STAFF_INVITATION_LIFETIME"] + timedelta(minutes=1)):
        assert client.get(path).status_code == 404
        assert accept(client, auth, path).status_code == 404
    assert user("riley@example.org") is None


@pytest.mark.parametrize("path", ["/auth/staff-invitation/nonsense", "/auth/staff-invitation/" + "x" * 500])
def test_unknown_links_are_404(client, path):
    assert client.get(path).status_code == 404


def test_an_existing_account_gets_a_neutral_notice_and_nothing_is_granted(app, client, auth, signed_in_admin, outbox):
    existing = make_user(email="sam@example.org")
    to_existing = invite(auth, email="Sam@Example.org", roles=("admin",))
    to_new = invite(auth, email="riley@example.org", roles=("admin",))
    # The admin sees the same answer either way.
    assert to_existing.status_code == to_new.status_code == 302
    flashes = [client.get("/admin/invitations").get_data(as_text=True)]
    assert "A message is on its way" in flashes[0]
    notice = [m for m in outbox() if m["To"] == "sam@example.org"][0]
    assert "already has an account, so nothing was changed" in notice.get_content()
    assert "/auth/staff-invitation/" not in notice.get_content()
    assert user("sam@example.org").roles == {Role.FAMILY}
    assert db.session.scalar(db.select(db.func.count(StaffInvitation.id)).filter_by(email="sam@example.org")) == 0
    [not_sent] = events("staff_invitation.not_sent")
    assert not_sent.object_id == str(existing.id) and not_sent.detail["reason"] == "account_exists"


def test_the_same_flash_for_both(app, client, auth, signed_in_admin, outbox):
    make_user(email="sam@example.org")
    pages = []
    for email in ("sam@example.org", "riley@example.org"):
        response = auth.post("/admin/invitations", {"email": email, "roles": ["counselor"]}, page="/admin/invitations")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        pages.append(re.search(r"A message is on its way[^<]*", page).group(0).replace(email, "X"))
    assert pages[0] == pages[1]


def test_an_address_that_signs_up_meanwhile_cannot_use_the_link(app, client, auth, signed_in_admin, outbox):
    invite(auth)
    path = last_link(outbox)
    auth.logout()
    make_user(email="riley@example.org")
    assert accept(client, auth, path).status_code == 404
    assert user("riley@example.org").roles == {Role.FAMILY}


def test_a_new_invitation_replaces_the_pending_one(app, client, auth, signed_in_admin, outbox):
    invite(auth)
    first = last_link(outbox)
    invite(auth, roles=("moderator",))
    second = last_link(outbox)
    auth.logout()
    assert client.get(first).status_code == 404
    assert accept(client, auth, second).status_code == 302
    assert user("riley@example.org").roles == {Role.MODERATOR}


def test_an_invitation_can_be_cancelled(app, client, auth, signed_in_admin, outbox):
    invite(auth)
    path = last_link(outbox)
    invitation = db.session.scalar(db.select(StaffInvitation))
    page = client.get("/admin/invitations").get_data(as_text=True)
    assert "riley@example.org" in page and "waiting, until" in page
    assert auth.post(f"/admin/invitations/{invitation.id}/cancel", page="/admin/invitations").status_code == 302
    assert len(events("staff_invitation.cancelled")) == 1
    auth.logout()
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not an email", "roles": ["counselor"]}, "Invalid email address."),
        ({"email": "riley@example.org", "roles": []}, "Choose at least one of moderator, counselor and admin."),
        ({"email": "riley@example.org", "roles": ["family"]}, "Choose at least one of moderator, counselor and admin."),
        ({"email": "riley@example.org", "roles": ["root"]}, "Choose at least one of moderator, counselor and admin."),
    ],
)
def test_bad_invitations_are_422_with_field_errors(client, auth, signed_in_admin, outbox, data, message):
    response = auth.post("/admin/invitations", data, page="/admin/invitations")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert outbox() == [] and events("staff_invitation.sent") == []


@pytest.mark.parametrize("role", [Role.FAMILY, Role.MODERATOR, Role.COUNSELOR])
def test_only_admins_invite(client, auth, outbox, role):
    make_user(email="pat@example.org", roles=(role,))
    auth.login("pat@example.org")
    assert client.get("/admin/invitations").status_code == 403
    assert invite(auth).status_code == 403
    assert outbox() == []


def test_inviting_needs_csrf(client, signed_in_admin, outbox):
    assert client.post("/admin/invitations", data={"email": "x@example.org", "roles": ["admin"]}).status_code == 400
    assert outbox() == []


def test_accepting_needs_csrf_and_a_strong_password(app, client, auth, signed_in_admin, outbox):
    invite(auth)
    path = last_link(outbox)
    auth.logout()
    assert (
        client.post(path, data={"display_name": "Riley", "password": PASSWORD, "confirm": PASSWORD}).status_code == 400
    )
    response = accept(client, auth, path, password="password")
    assert response.status_code == 422
    assert user("riley@example.org") is None


def test_with_mfa_required_the_new_staff_member_sets_it_up_at_first_sign_in(app, client, auth, signed_in_admin, outbox):
    invite(auth)
    path = last_link(outbox)
    auth.logout()
    app.config["MFA_REQUIRED_FOR_STAFF"] = True
    accept(client, auth, path)
    response = auth.login("riley@example.org", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/mfa/setup"
    assert client.get("/care/clients").headers["Location"] == "/auth/mfa/setup"  # nothing else first
