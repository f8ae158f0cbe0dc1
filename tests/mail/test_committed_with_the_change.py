"""Mail queued by a service is committed with the change it announces: a request that ends
right after the service (its session removed) loses nothing."""

from portal.auth.models import User
from portal.auth.staff_invitations import invite_staff
from portal.extensions import db
from portal.security import Role
from tests.factories import make_user


def _links(token):
    return f"http://localhost/auth/staff/{token}"


def test_a_staff_invitation_and_the_existing_account_notice_survive_the_end_of_the_request(app, outbox):
    admin_id = make_user(email="avery@example.org", roles=(Role.ADMIN,)).id
    make_user(email="known@example.org")
    for email in ("new@example.org", "known@example.org"):
        with app.test_request_context():  # the service's wording is translated, as in a request
            actor = db.session.get(User, admin_id)
            invite_staff(actor, email, ["counselor"], link_for=_links, login_link="http://localhost/auth/login")
        db.session.remove()
    assert sorted(m["To"] for m in outbox()) == ["known@example.org", "new@example.org"]
