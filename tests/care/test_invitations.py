import re
from datetime import timedelta

import pytest
import time_machine

from portal.audit import AuditEvent
from portal.care.models import FamilyLink, Invitation
from portal.clock import utcnow
from portal.extensions import db
from tests.care.conftest import strip_volatile
from tests.factories import link_family, make_user

LINK = re.compile(r"http://localhost(/care/invite/[A-Za-z0-9_-]+)")


@pytest.fixture
def consent(sam, counselor):
    recipient = make_user(email="invitee-placeholder@example.org")
    link = link_family(recipient, sam, witness=counselor)
    consent = link.consent
    db.session.delete(link)
    consent.recipient_email = "jordan@example.org"
    consent.recipient_name = "Jordan"
    db.session.commit()
    return consent


def _invite(auth, consent):
    return auth.post(f"/care/consents/{consent.id}/invite")


def _link_from(outbox):
    """The invitation link in the newest invitation email."""
    for message in reversed(outbox()):
        found = LINK.search(message.get_content())
        if found:
            return found.group(1)
    raise AssertionError("no invitation email")


def test_invitation_email_is_neutral_and_token_stored_hashed(client, auth, counselor, consent, outbox):
    auth.login(counselor.email)
    assert _invite(auth, consent).status_code == 302
    [message] = outbox()
    assert message["To"] == "jordan@example.org"
    subject = message["Subject"].lower()
    for word in ("addiction", "iop", "treatment", "rivera", "sam"):
        assert word not in subject
    body = message.get_content()
    for word in ("addiction", "IOP", "treatment", "Sam Rivera"):
        assert word not in body
    path = _link_from(outbox)
    token = path.rsplit("/", 1)[1]
    invitation = db.session.scalar(db.select(Invitation))
    assert invitation.token_hash != token and len(invitation.token_hash) == 64
    assert (invitation.expires_at - invitation.created_at) == timedelta(days=7)
    assert db.session.scalar(db.select(AuditEvent).filter_by(action="invitation.sent")).client_id == consent.client_id


def test_new_family_member_accepts_and_sees_my_family(client, auth, counselor, consent, outbox):
    auth.login(counselor.email)
    _invite(auth, consent)
    path = _link_from(outbox)
    auth.logout()
    welcome = client.get(path)
    assert welcome.status_code == 200
    page = welcome.get_data(as_text=True)
    assert "Sam Rivera" not in page and "Sign in to accept" in page
    family = make_user(email="jordan@example.org")
    auth.login(family.email)
    accept_page = client.get(path).get_data(as_text=True)
    assert "Sam Rivera" in accept_page
    preview = db.session.scalar(db.select(AuditEvent).filter_by(action="disclosure.invitation"))
    assert (preview.actor_id, preview.client_id, preview.consent_id) == (family.id, consent.client_id, consent.id)
    response = auth.post(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/care/my-family")
    link = db.session.scalar(db.select(FamilyLink).filter_by(user_id=family.id))
    assert link.consent_id == consent.id and link.ended_at is None
    assert "Sam Rivera" in client.get("/care/my-family").get_data(as_text=True)
    # single use: the same link now gives the neutral page
    assert auth.post(path).status_code == 404
    assert client.get(path).status_code == 404


def test_login_link_returns_to_the_invitation(client, auth, counselor, consent, outbox):
    auth.login(counselor.email)
    _invite(auth, consent)
    path = _link_from(outbox)
    auth.logout()
    make_user(email="jordan@example.org")
    page = client.get(path).get_data(as_text=True)
    login_url = re.search(r'href="(/auth/login\?next=[^"]+)"', page).group(1).replace("&amp;", "&")
    token = auth.csrf(login_url)
    response = client.post(
        login_url, data={"email": "jordan@example.org", "password": "correct horse battery staple", "csrf_token": token}
    )
    assert response.headers["Location"].endswith(path)


def test_other_account_cannot_accept(client, auth, counselor, consent, outbox):
    auth.login(counselor.email)
    _invite(auth, consent)
    path = _link_from(outbox)
    auth.logout()
    someone = make_user(email="someone@example.org")
    auth.login(someone.email)
    page = client.get(path).get_data(as_text=True)
    assert "for another account" in page and "Sam Rivera" not in page
    assert auth.post(path).status_code == 200
    assert db.session.scalar(db.select(FamilyLink).filter_by(user_id=someone.id)) is None
    auth.logout()
    auth.login(counselor.email)
    assert auth.post(path).status_code == 200
    assert db.session.scalar(db.select(db.func.count(FamilyLink.id))) == 0


def test_invalid_used_expired_cancelled_and_resent_links_look_identical(client, auth, counselor, consent, outbox):
    auth.login(counselor.email)
    _invite(auth, consent)
    first = _link_from(outbox)
    _invite(auth, consent)  # resend: the first link dies
    second = _link_from(outbox)
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.cancelled_at.is_(None)))
    auth.post(f"/care/invitations/{invitation.id}/cancel")
    _invite(auth, consent)
    third = _link_from(outbox)
    auth.logout()
    client.get("/")  # show the "signed out" message now, so it is on no page compared below
    bodies = set()
    for path in (first, second, "/care/invite/unknown-token", "/care/invite/" + "A" * 5000):
        response = client.get(path)
        assert response.status_code == 404, path
        bodies.add(strip_volatile(response.get_data(as_text=True)))
    # A NUL byte is refused before any view runs, for every address alike: it says nothing.
    assert client.get("/care/invite/%00").status_code == 400
    with time_machine.travel(utcnow() + timedelta(days=7, minutes=1)):
        response = client.get(third)
        assert response.status_code == 404
        bodies.add(strip_volatile(response.get_data(as_text=True)))
    assert len(bodies) == 1


def test_revocation_kills_pending_invitation(client, auth, counselor, consent, outbox):
    from portal.care.access import consent_today

    auth.login(counselor.email)
    _invite(auth, consent)
    path = _link_from(outbox)
    auth.post(
        f"/care/consents/{consent.id}/revoke",
        data={"requested_by": "Sam", "requested_on": consent_today().isoformat(), "method": "phone"},
    )
    assert client.get(path).status_code == 404
    assert db.session.scalar(db.select(Invitation)).cancelled_at is not None
    page = client.get(f"/care/clients/{consent.client_id}").get_data(as_text=True)
    assert "Send invitation" not in page


def test_cannot_invite_from_revoked_consent(client, auth, counselor, consent, outbox):
    consent.revoked_at = utcnow()
    db.session.commit()
    auth.login(counselor.email)
    _invite(auth, consent)
    assert outbox() == [] and db.session.scalar(db.select(Invitation)) is None


def test_cancel_other_programs_invitation_is_404(client, auth, counselor, consent, outbox):
    from portal.security import Role

    auth.login(counselor.email)
    _invite(auth, consent)
    invitation = db.session.scalar(db.select(Invitation))
    auth.logout()
    stranger = make_user(roles=(Role.COUNSELOR,))
    auth.login(stranger.email)
    assert auth.post(f"/care/invitations/{invitation.id}/cancel").status_code == 404
    assert auth.post("/care/invitations/99999/cancel").status_code == 404
    assert db.session.get(Invitation, invitation.id).cancelled_at is None


def test_invitation_acceptance_is_rate_limited(client):
    codes = [client.get(f"/care/invite/guess-{n}").status_code for n in range(25)]
    assert codes[0] == 404 and codes[-1] == 429


def test_after_signing_up_the_invitation_waits_on_my_family(client, auth, counselor, consent, outbox):
    auth.login(counselor.email)
    _invite(auth, consent)
    auth.logout()
    unverified = make_user(email="jordan@example.org", verified=False)
    auth.login(unverified.email)  # may be refused until the email is confirmed; either way nothing waits
    assert "Invitations waiting" not in client.get("/care/my-family", follow_redirects=True).get_data(as_text=True)
    invitation = db.session.scalar(db.select(Invitation))
    assert auth.post(f"/care/invitations/{invitation.id}/accept").status_code in (302, 404)
    assert db.session.scalar(db.select(FamilyLink).filter_by(user_id=unverified.id)) is None
    unverified.email_verified_at = utcnow()
    db.session.commit()
    auth.logout()
    auth.login(unverified.email)
    page = client.get("/care/my-family").get_data(as_text=True)
    assert "Invitations waiting" in page and "Sam Rivera" in page
    assert auth.post(f"/care/invitations/{invitation.id}/accept").status_code == 302
    assert db.session.scalar(db.select(FamilyLink).filter_by(user_id=unverified.id)).consent_id == consent.id
    assert auth.post(f"/care/invitations/{invitation.id}/accept").status_code == 404
    assert client.get(_link_from(outbox)).status_code == 404


def test_waiting_invitations_are_only_for_the_named_email(client, auth, counselor, consent, outbox):
    auth.login(counselor.email)
    _invite(auth, consent)
    auth.logout()
    other = make_user(email="someone@example.org")
    auth.login(other.email)
    assert "Sam Rivera" not in client.get("/care/my-family").get_data(as_text=True)
    invitation = db.session.scalar(db.select(Invitation))
    assert auth.post(f"/care/invitations/{invitation.id}/accept").status_code == 404
