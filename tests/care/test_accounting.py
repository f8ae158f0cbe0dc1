from portal.care import access
from portal.extensions import db
from portal.security import Role
from tests.care.conftest import sign
from tests.factories import make_user


def test_accounting_lists_disclosures_and_consent_history(client, auth, counselor, sam, family):
    from portal.care.models import Consent, FamilyLink

    auth.login(counselor.email)
    sign(auth, sam.id)
    consent = db.session.scalar(db.select(Consent))
    db.session.add(FamilyLink(user_id=family.id, client_id=sam.id, consent_id=consent.id))
    db.session.commit()
    auth.logout()
    auth.login(family.email)
    client.get("/care/my-family")
    auth.logout()
    auth.login(counselor.email)
    auth.post(
        f"/care/consents/{consent.id}/revoke",
        data={"requested_by": "Sam Rivera", "method": "in_person", "requested_on": access.consent_today().isoformat()},
    )
    page = client.get(f"/care/clients/{sam.id}/disclosures").get_data(as_text=True)
    disclosures, history = page.split("Consent and enrollment history</h2>", 1)
    assert "Jordan (jordan@example.org)" in disclosures
    assert "The My family page" in disclosures and f"Consent #{consent.id} to Jordan" in disclosures
    assert "Consent signed" in history and "Consent revoked" in history and "(in person)" in history
    assert "Casey" in history


def test_accounting_of_other_programs_client_is_404_and_family_403(client, auth, counselor, sam):
    stranger = make_user(roles=(Role.COUNSELOR,))
    auth.login(stranger.email)
    assert client.get(f"/care/clients/{sam.id}/disclosures").status_code == 404
    auth.logout()
    auth.login(make_user().email)
    assert client.get(f"/care/clients/{sam.id}/disclosures").status_code == 403
