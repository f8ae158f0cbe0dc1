from datetime import date, timedelta

from portal.audit import AuditEvent
from portal.care import access
from portal.care.models import FamilyLink
from portal.extensions import db
from tests.factories import link_family


def _revoke(auth, consent_id, **overrides):
    data = {"requested_by": "Sam Rivera", "requested_on": access.consent_today().isoformat(), "method": "phone"}
    data.update(overrides)
    return auth.post(f"/care/consents/{consent_id}/revoke", data=data)


def test_revocation_is_immediate_ends_links_and_signals(client, auth, counselor, sam, family, ended):
    link = link_family(family, sam, witness=counselor)
    assert access.may_see_client(family, sam.id)
    auth.login(counselor.email)
    response = _revoke(auth, link.consent_id, method="writing", requested_by="Sam Rivera (client)")
    assert response.status_code == 302
    db.session.expire_all()
    consent = link.consent
    assert consent.revoked_at is not None and consent.revoked_by_id == counselor.id
    assert consent.revocation_method == "writing" and consent.revocation_requested_by == "Sam Rivera (client)"
    assert consent.revocation_requested_on == access.consent_today()
    assert db.session.get(FamilyLink, link.id).ended_reason == "consent_revoked"
    assert not access.may_see_client(family, sam.id)
    assert ended == [{"client_id": sam.id, "consent_id": consent.id, "user_ids": [family.id], "reason": "revoked"}]
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="consent.revoked"))
    assert event.client_id == sam.id and event.consent_id == consent.id and event.detail["method"] == "writing"


def test_revocation_rejects_bad_input(client, auth, counselor, sam, family):
    link = link_family(family, sam, witness=counselor)
    auth.login(counselor.email)
    tomorrow = (access.consent_today() + timedelta(days=2)).isoformat()
    for data in (
        {"method": "carrier pigeon"},
        {"requested_by": ""},
        {"requested_by": "x" * 10_000},
        {"requested_on": "soon"},
        {"requested_on": tomorrow},
    ):
        assert _revoke(auth, link.consent_id, **data).status_code == 422, data
    db.session.expire_all()
    assert link.consent.revoked_at is None


def test_revoking_twice_is_harmless(client, auth, counselor, sam, family, ended):
    link = link_family(family, sam, witness=counselor)
    auth.login(counselor.email)
    assert _revoke(auth, link.consent_id).status_code == 302
    assert _revoke(auth, link.consent_id).status_code == 302
    assert len(ended) == 1


def test_family_cannot_revoke_through_staff_route(client, auth, counselor, sam, family):
    link = link_family(family, sam, witness=counselor)
    auth.login(family.email)
    assert _revoke(auth, link.consent_id).status_code == 403


def test_discharge_ends_every_link_and_signals(client, auth, counselor, sam, family, ended):
    from tests.factories import make_user

    until_end = link_family(family, sam, witness=counselor)
    other = make_user()
    dated = link_family(other, sam, witness=counselor, expires_on=date.today() + timedelta(days=90))
    auth.login(counselor.email)
    response = auth.post(
        f"/care/clients/{sam.id}/end", data={"status": "completed", "ended_on": date.today().isoformat()}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(FamilyLink, until_end.id).ended_reason == "enrollment_ended"
    # A dated consent also needs the client enrolled: its link ends now, so the expiry sweep
    # never announces it a second time.
    assert db.session.get(FamilyLink, dated.id).ended_reason == "enrollment_ended"
    assert not access.may_see_client(family, sam.id) and not access.may_see_client(other, sam.id)
    reasons = {(c["consent_id"], tuple(c["user_ids"]), c["reason"]) for c in ended}
    assert reasons == {
        (until_end.consent_id, (family.id,), "enrollment_ended"),
        (dated.consent_id, (other.id,), "enrollment_ended"),
    }
