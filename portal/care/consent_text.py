"""The consent text the client reads and signs (42 CFR 2.31), versioned, in English and Spanish.

A version is never edited once used: a signed consent stores its version, its language and the
SHA-256 of the exact document it produced, so any change to the wording is a new version. Each
language's text says the same thing, with the same legal meaning; the client signs the one they
read. The language is part of the hash (`document_sha256`) for every language but English, so
consents signed before there was a choice keep their hashes.
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from string import Template

CURRENT_VERSION = "2026-11-v1"

_V1 = Template(
    """CONSENT TO DISCLOSE INFORMATION (42 CFR Part 2)
Consent text version $version

1. Who I am. I, $client_name, am a client of $program_name.

2. Who may disclose. $program_name (the program) may disclose the information described below.

3. What may be disclosed. $what, shown to the person named below in the Family Bridge portal. \
Nothing else from my treatment record will be disclosed under this consent.

4. To whom. $recipient_name ($recipient_relationship), who uses the email address \
$recipient_email to sign in to Family Bridge.

5. Why. $purpose

6. How long this consent lasts. This consent ends $expiry, unless I revoke it earlier.

7. My right to revoke. I may revoke this consent at any time, except for information already \
disclosed because of it. To revoke, I can tell any member of my care team in person, by phone \
or in writing. The program stops the disclosure as soon as my revocation is recorded.

8. My treatment does not depend on this consent. The program will not refuse or change my \
treatment, payment, enrollment or eligibility for benefits because I do not sign this consent \
or because I revoke it.

9. Redisclosure notice. Information disclosed under this consent is protected by federal law \
(42 CFR Part 2). The recipient may not share it with anyone else, or use it to investigate or \
prosecute me, unless I give written permission or the law allows it.

10. Signature and date. I sign this consent by typing my full name below and confirming that \
I have read it and agree. I will be offered a copy.
Date: $today
"""
)

_V1_ES = Template(
    """CONSENTIMIENTO PARA DIVULGAR INFORMACIÓN (42 CFR Parte 2)
Versión del texto del consentimiento $version · Idioma: español

1. Quién soy. Yo, $client_name, soy cliente de $program_name.

2. Quién puede divulgar. $program_name (el programa) puede divulgar la información que se \
describe abajo.

3. Qué se puede divulgar. $what, que se muestra a la persona nombrada abajo en el portal \
Family Bridge. No se divulgará nada más de mi expediente de tratamiento bajo este consentimiento.

4. A quién. $recipient_name ($recipient_relationship), que usa el correo electrónico \
$recipient_email para iniciar sesión en Family Bridge.

5. Para qué. $purpose

6. Cuánto dura este consentimiento. Este consentimiento vence $expiry, a menos que yo lo \
revoque antes.

7. Mi derecho a revocar. Puedo revocar este consentimiento en cualquier momento, excepto en \
cuanto a la información que ya se haya divulgado por causa de él. Para revocarlo, puedo \
decírselo a cualquier persona de mi equipo de atención, en persona, por teléfono o por escrito. \
El programa deja de divulgar la información en cuanto se registra mi revocación.

8. Mi tratamiento no depende de este consentimiento. El programa no negará ni cambiará mi \
tratamiento, el pago, mi inscripción ni mi elegibilidad para recibir beneficios porque yo no firme \
este consentimiento o porque lo revoque.

9. Aviso sobre volver a divulgar la información. La información divulgada bajo este \
consentimiento está protegida por la ley federal (42 CFR Parte 2). La persona que la recibe no \
puede compartirla con nadie más, ni usarla para investigarme o acusarme ante un tribunal, a \
menos que yo dé permiso por escrito o que la ley lo permita.

10. Firma y fecha. Firmo este consentimiento al escribir mi nombre completo abajo y confirmar \
que lo leí y que estoy de acuerdo. Se me ofrecerá una copia.
Fecha: $today
"""
)

#: The languages a consent can be read and signed in, each named in its own language.
LANGUAGES = {"en": "English", "es": "Español"}
VERSIONS = {CURRENT_VERSION: _V1}
TEXTS = {(CURRENT_VERSION, "en"): _V1, (CURRENT_VERSION, "es"): _V1_ES}
#: The purpose the form suggests, in each language (the Spanish one replaces the English default).
DEFAULT_PURPOSE = {
    "en": "To take part in family sessions and support my recovery.",
    "es": "Para participar en las sesiones familiares y apoyar mi recuperación.",
}
_MONTHS_ES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


@dataclass(frozen=True)
class ConsentTerms:
    client_name: str
    program_name: str
    recipient_name: str
    recipient_relationship: str
    recipient_email: str
    includes_attendance: bool
    purpose: str
    expires_on: date | None
    today: date
    language: str = "en"


def _long_date(value, language="en"):
    """A date as the consent writes it: the same words whatever the server's locale data."""
    if language == "es":
        return f"{value.day} de {_MONTHS_ES[value.month - 1]} de {value.year}"
    return f"{value:%B} {value.day}, {value.year}"


def _what(terms):
    if terms.language == "es":
        schedule = "El calendario de mis sesiones familiares (fechas, horas y lugares de las sesiones)"
        return schedule + (" y si asistí a ellas" if terms.includes_attendance else "")
    if terms.includes_attendance:
        return "My family-session schedule (dates, times and places of sessions) and whether I attended them"
    return "My family-session schedule (dates, times and places of sessions)"


def _expiry(terms):
    if terms.language == "es":
        if terms.expires_on is None:
            return (
                f"cuando termine mi inscripción en {terms.program_name} "
                "(cuando yo complete el programa o me den de alta)"
            )
        return f"el {_long_date(terms.expires_on, 'es')}"
    if terms.expires_on is None:
        return f"when my enrollment in {terms.program_name} ends (when I complete the program or am discharged)"
    return f"on {_long_date(terms.expires_on)}"


def render_body(terms, version=CURRENT_VERSION):
    """The consent exactly as shown to the client before signing, in the terms' language."""
    purpose = terms.purpose.strip()
    if purpose and purpose[-1] not in ".!?":
        purpose += "."
    return TEXTS[version, terms.language].substitute(
        version=version,
        client_name=terms.client_name,
        program_name=terms.program_name,
        what=_what(terms),
        recipient_name=terms.recipient_name,
        recipient_relationship=terms.recipient_relationship,
        recipient_email=terms.recipient_email,
        purpose=purpose,
        expiry=_expiry(terms),
        today=_long_date(terms.today, terms.language),
    )


def signed_document(body, signature_name, signed_on, witness_name, language="en"):
    """The body followed by the signature block: the document whose hash is stored."""
    if language == "es":
        return (
            f"{body}\nFirma electrónica del cliente: {signature_name}\n"
            f"Fecha de la firma: {_long_date(signed_on, 'es')}\nTestigo: {witness_name}\n"
        )
    return (
        f"{body}\nElectronic signature of the client: {signature_name}\n"
        f"Signed on: {_long_date(signed_on)}\nWitnessed by: {witness_name}\n"
    )


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_sha256(text, language="en"):
    """The fingerprint of a consent text in its language. English texts hash as they always
    have (the text alone); any other language is named in what is hashed, so a text cannot be
    passed off as another language's."""
    return sha256(text) if language == "en" else sha256(f"language: {language}\n{text}")
