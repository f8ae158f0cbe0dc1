"""Part 2 consent in Spanish: the counselor chooses the language, the client reads and signs that
text, the language is recorded and hashed, and the copy is shown in it."""

import hashlib
import re
from datetime import date

import pytest

from portal.audit import AuditEvent
from portal.care import consent_text
from portal.care.models import Consent
from portal.extensions import db
from tests.care.conftest import CONSENT, review, sign


def _consents():
    return db.session.scalars(db.select(Consent)).all()


def test_the_form_offers_each_language_named_in_its_own_words(client, auth, counselor, sam):
    auth.login(counselor.email)
    page = client.get(f"/care/clients/{sam.id}/consents/new").get_data(as_text=True)
    assert re.search(r'<input checked id="language-0" name="language" required type="radio" value="en">', page)
    assert 'lang="es">Español</label>' in page and 'lang="en">English</label>' in page


def test_spanish_review_page_is_in_spanish_and_says_the_same_things(client, auth, counselor, sam):
    auth.login(counselor.email)
    response = review(auth, sam.id, language="es", includes_attendance="y", purpose=consent_text.DEFAULT_PURPOSE["en"])
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="es"' in page
    assert '<div class="consent-text" lang="es">' in page
    for needed in (
        "CONSENTIMIENTO PARA DIVULGAR INFORMACIÓN (42 CFR Parte 2)",
        "Yo, Sam Rivera, soy cliente de Evening IOP.",
        "y si asistí a ellas",
        "Jordan (parent)",
        "jordan@example.org",
        consent_text.DEFAULT_PURPOSE["es"],  # the suggested purpose, in the consent's language
        "vence cuando termine mi inscripción en Evening IOP",
        "Puedo revocar este consentimiento en cualquier momento",
        "en persona, por teléfono o por escrito",
        "no negará ni cambiará mi",
        "no puede compartirla con nadie más",
        "Fecha:",
        consent_text.CURRENT_VERSION,
    ):
        assert needed in page, needed
    assert 'name="language" type="hidden" value="es"' in page or 'name="language" value="es"' in page
    assert _consents() == []


def test_signing_in_spanish_records_the_language_and_hashes_it(client, auth, counselor, sam):
    auth.login(counselor.email)
    response = sign(auth, sam.id, language="es", signature="sam rivera")
    assert response.status_code == 302
    [consent] = _consents()
    assert consent.language == "es"
    assert consent.signed_text.startswith("CONSENTIMIENTO PARA DIVULGAR INFORMACIÓN")
    assert "Firma electrónica del cliente: sam rivera" in consent.signed_text
    assert consent.text_sha256 == hashlib.sha256(f"language: es\n{consent.signed_text}".encode()).hexdigest()
    assert consent.text_sha256 != hashlib.sha256(consent.signed_text.encode()).hexdigest()
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="consent.signed"))
    assert event.detail["language"] == "es" and event.detail["sha256"] == consent.text_sha256
    printable = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en"' in printable  # the counselor's page…
    copy = printable.split('<div class="consent-copy" lang="es">')[1]  # …around the client's copy, in Spanish
    assert "Firma electrónica del cliente" in copy and "Consent to disclose" not in copy
    assert consent.text_sha256 in printable
    assert "Warning: the stored text does not match" not in printable


def test_a_spanish_text_relabelled_as_english_no_longer_matches_its_hash(client, auth, counselor, sam):
    auth.login(counselor.email)
    location = sign(auth, sam.id, language="es").headers["Location"]
    consent = _consents()[0]
    consent.language = "en"
    db.session.commit()
    assert "does not match its fingerprint" in client.get(location).get_data(as_text=True)


def test_english_stays_the_default_with_the_same_hash_as_before(client, auth, counselor, sam):
    auth.login(counselor.email)
    location = sign(auth, sam.id).headers["Location"]  # no language posted: the form's default
    [consent] = _consents()
    assert consent.language == "en"
    assert consent.text_sha256 == hashlib.sha256(consent.signed_text.encode()).hexdigest()
    assert '<div class="consent-copy" lang="en">' in client.get(location).get_data(as_text=True)


def test_changing_the_language_after_review_is_refused(client, auth, counselor, sam):
    """The hash shown with the Spanish text does not sign the English one."""
    auth.login(counselor.email)
    page = review(auth, sam.id, language="es").get_data(as_text=True)
    shown = re.search(r'name="shown_sha256" type="hidden" value="([0-9a-f]{64})"', page).group(1)
    data = {**CONSENT, "language": "en", "shown_sha256": shown, "signature_name": "Sam Rivera", "attest": "y"}
    response = auth.post(f"/care/clients/{sam.id}/consents/sign", data=data)
    assert "changed since it was shown" in response.get_data(as_text=True)
    assert _consents() == []


@pytest.mark.parametrize("bad", ["fr", "", "ES", "<script>", "es' OR '1'='1", "x" * 5000])
def test_unknown_languages_are_field_errors(client, auth, counselor, sam, bad):
    auth.login(counselor.email)
    response = review(auth, sam.id, language=bad)
    assert response.status_code == 422 and 'class="error"' in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)
    assert _consents() == []


def test_both_texts_have_the_same_numbered_sections():
    terms = dict(
        client_name="Sam Rivera",
        program_name="Evening IOP",
        recipient_name="Jordan",
        recipient_relationship="parent",
        recipient_email="j@example.org",
        includes_attendance=False,
        purpose="p",
        expires_on=date(2027, 3, 5),
        today=date(2026, 11, 30),
    )
    english = consent_text.render_body(consent_text.ConsentTerms(**terms))
    spanish = consent_text.render_body(consent_text.ConsentTerms(**terms, language="es"))
    numbers = [line.split(".")[0] for line in english.splitlines() if line[:2].strip(".").isdigit()]
    assert numbers == [line.split(".")[0] for line in spanish.splitlines() if line[:2].strip(".").isdigit()]
    assert "vence el 5 de marzo de 2027" in spanish and "Fecha: 30 de noviembre de 2026" in spanish
    assert "on March 5, 2027" in english


def test_the_spanish_demo_family_has_a_consent_signed_in_spanish(seeded):
    consent = db.session.scalar(db.select(Consent).filter_by(recipient_email="familia@example.org"))
    assert consent.language == "es" and consent.signed_text.startswith("CONSENTIMIENTO PARA DIVULGAR")
    assert "Lucía (madre)" in consent.signed_text
    assert consent.text_sha256 == consent_text.document_sha256(consent.signed_text, "es")
    english = db.session.scalar(db.select(Consent).filter_by(recipient_email="family@example.org"))
    assert english.language == "en" and english.text_sha256 == hashlib.sha256(english.signed_text.encode()).hexdigest()
