import hashlib
from datetime import timedelta

from portal.audit import AuditEvent
from portal.auth.models import SessionRecord
from portal.care import access, consent_text
from portal.care.models import Consent
from portal.clock import utcnow
from portal.extensions import db
from tests.care.conftest import CONSENT, review, sign

LONG = "x" * 10_000


def _consents():
    return db.session.scalars(db.select(Consent)).all()


def test_review_shows_every_required_element(client, auth, counselor, sam):
    auth.login(counselor.email)
    page = review(auth, sam.id, includes_attendance="y").get_data(as_text=True)
    for needed in (
        "Sam Rivera",
        "Evening IOP",
        "whether I attended",
        "Jordan (parent)",
        "jordan@example.org",
        "To take part in family sessions",
        "when my enrollment in Evening IOP ends",
        "revoke this consent at any time",
        "in person, by phone",
        "will not refuse or change my",
        "42 CFR Part 2",
        "may not share it with anyone else",
        "Date:",
        consent_text.CURRENT_VERSION,
        "type your full name",
    ):
        assert needed in page, needed
    assert _consents() == []


def test_signing_stores_version_hash_witness_and_time(client, auth, counselor, sam):
    auth.login(counselor.email)
    response = sign(auth, sam.id, signature="  sam   RIVERA ")
    assert response.status_code == 302
    [consent] = _consents()
    assert consent.text_version == consent_text.CURRENT_VERSION
    assert consent.text_sha256 == hashlib.sha256(consent.signed_text.encode()).hexdigest()
    assert "Electronic signature of the client: sam   RIVERA" in consent.signed_text
    assert consent.witnessed_by_id == counselor.id and consent.client_name == "Sam Rivera"
    assert abs((utcnow() - consent.signed_at).total_seconds()) < 120
    assert consent.expires_on is None and consent.includes_attendance is False
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="consent.signed"))
    assert event.client_id == sam.id and event.consent_id == consent.id and event.actor_id == counselor.id
    printable = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Electronic signature of the client" in printable and consent.text_sha256 in printable


def test_signature_must_match_client_name(client, auth, counselor, sam):
    auth.login(counselor.email)
    for wrong in ("Sam Rivers", "S. Rivera", "", "Sam Rivera Jr"):
        response = sign(auth, sam.id, signature=wrong)
        assert response.status_code == 422
    assert "must match the client" in sign(auth, sam.id, signature="Sam Rivers").get_data(as_text=True)
    assert _consents() == []


def test_attestation_is_required(client, auth, counselor, sam):
    auth.login(counselor.email)
    response = sign(auth, sam.id, attest=False)
    assert response.status_code == 422 and "must confirm" in response.get_data(as_text=True)
    assert _consents() == []


def test_tampered_values_after_review_are_refused(client, auth, counselor, sam):
    auth.login(counselor.email)
    page = review(auth, sam.id).get_data(as_text=True)
    import re

    shown = re.search(r'name="shown_sha256" type="hidden" value="([0-9a-f]{64})"', page).group(1)
    data = {**CONSENT, "includes_attendance": "y", "shown_sha256": shown, "signature_name": "Sam Rivera", "attest": "y"}
    response = auth.post(f"/care/clients/{sam.id}/consents/sign", data=data)
    assert response.status_code == 200 and "changed since it was shown" in response.get_data(as_text=True)
    assert _consents() == []


def test_expiry_in_the_past_or_missing_is_an_error(client, auth, counselor, sam):
    auth.login(counselor.email)
    yesterday = (access.consent_today() - timedelta(days=1)).isoformat()
    page = review(auth, sam.id, expiry_kind="date", expires_on=yesterday).get_data(as_text=True)
    assert "in the past" in page
    page = review(auth, sam.id, expiry_kind="date", expires_on="").get_data(as_text=True)
    assert "Enter the date the consent ends" in page
    assert (
        sign(
            auth, sam.id, expiry_kind="date", expires_on=(access.consent_today() + timedelta(days=30)).isoformat()
        ).status_code
        == 302
    )
    assert _consents()[0].expires_on == access.consent_today() + timedelta(days=30)


def test_duplicate_active_consent_for_same_email_is_refused(client, auth, counselor, sam):
    auth.login(counselor.email)
    assert sign(auth, sam.id).status_code == 302
    page = review(auth, sam.id, recipient_email="  JORDAN@example.org ").get_data(as_text=True)
    assert "already a valid consent for this recipient" in page
    assert len(_consents()) == 1


def test_long_and_hostile_fields_are_errors(client, auth, counselor, sam):
    auth.login(counselor.email)
    for field in ("recipient_name", "recipient_relationship", "recipient_email", "purpose"):
        response = review(auth, sam.id, **{field: LONG})
        assert response.status_code == 422 and 'class="error"' in response.get_data(as_text=True), field
    for bad in ("not-an-email", "a@", "<script>@x.org"):
        assert 'class="error"' in review(auth, sam.id, recipient_email=bad).get_data(as_text=True)
    response = review(auth, sam.id, recipient_name='<img src=x onerror="alert(1)">')
    assert '<img src=x onerror="alert(1)">' not in response.get_data(as_text=True)
    assert "&lt;img src=x" in response.get_data(as_text=True)
    long_signature = sign(auth, sam.id, signature=LONG)
    assert long_signature.status_code == 422
    assert _consents() == []


def test_change_details_button_returns_to_form(client, auth, counselor, sam):
    auth.login(counselor.email)
    data = {**CONSENT, "edit": "Change the details", "signature_name": ""}
    page = auth.post(f"/care/clients/{sam.id}/consents/sign", data=data).get_data(as_text=True)
    assert 'value="jordan@example.org"' in page and "Review consent" in page


def test_no_consent_for_a_client_who_is_not_enrolled(client, auth, counselor, sam):
    sam.status = "completed"
    db.session.commit()
    auth.login(counselor.email)
    assert client.get(f"/care/clients/{sam.id}/consents/new").status_code == 404


def test_consent_routes_need_recent_authentication(client, auth, counselor, sam, family):
    from tests.factories import link_family

    link = link_family(family, sam, witness=counselor)
    auth.login(counselor.email)
    record = db.session.scalar(db.select(SessionRecord).filter_by(user_id=counselor.id))
    record.authenticated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    for path in (f"/care/clients/{sam.id}/consents/new", f"/care/consents/{link.consent_id}/revoke"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/reauthenticate" in response.headers["Location"]


def test_signing_tolerates_a_long_read(client, auth, counselor, sam):
    import re

    auth.login(counselor.email)
    page = review(auth, sam.id).get_data(as_text=True)
    shown = re.search(r'name="shown_sha256" type="hidden" value="([0-9a-f]{64})"', page).group(1)
    record = db.session.scalar(db.select(SessionRecord).filter_by(user_id=counselor.id))
    record.authenticated_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    data = {**CONSENT, "shown_sha256": shown, "signature_name": "Sam Rivera", "attest": "y"}
    assert auth.post(f"/care/clients/{sam.id}/consents/sign", data=data).status_code == 302
    assert len(_consents()) == 1


def test_family_and_moderators_cannot_capture_consent(client, auth, sam):
    from portal.security import Role
    from tests.factories import make_user

    for roles in ((Role.FAMILY,), (Role.MODERATOR,)):
        user = make_user(roles=roles)
        auth.login(user.email)
        assert client.get(f"/care/clients/{sam.id}/consents/new").status_code == 403
        assert review(auth, sam.id).status_code == 403
        auth.logout()
    assert _consents() == []


def test_printable_copy_of_another_programs_consent_is_404(client, auth, counselor, sam):
    from portal.security import Role
    from tests.factories import link_family, make_client, make_user

    other_link = link_family(make_user(), make_client(counselor=make_user(roles=(Role.COUNSELOR,))))
    auth.login(counselor.email)
    assert client.get(f"/care/consents/{other_link.consent_id}").status_code == 404
    assert client.get(f"/care/consents/{other_link.consent_id}/revoke").status_code == 404
    assert auth.post(f"/care/consents/{other_link.consent_id}/invite").status_code == 404


def test_double_submitted_signature_records_one_consent(client, auth, counselor, sam):
    import re

    auth.login(counselor.email)
    page = review(auth, sam.id).get_data(as_text=True)
    shown = re.search(r'name="shown_sha256" type="hidden" value="([0-9a-f]{64})"', page).group(1)
    data = {**CONSENT, "shown_sha256": shown, "signature_name": "Sam Rivera", "attest": "y"}
    first = auth.post(f"/care/clients/{sam.id}/consents/sign", data=data)
    second = auth.post(f"/care/clients/{sam.id}/consents/sign", data=data)
    assert first.status_code == 302
    assert second.status_code == 422 and "already a valid consent" in second.get_data(as_text=True)
    assert len(_consents()) == 1
