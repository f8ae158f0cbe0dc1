"""The consent text the client reads and signs (42 CFR 2.31), versioned.

A version is never edited once used: a signed consent stores its version and the SHA-256 of
the exact document it produced, so any change to the wording is a new version.
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

VERSIONS = {CURRENT_VERSION: _V1}


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


def _long_date(value):
    return f"{value:%B} {value.day}, {value.year}"


def _what(terms):
    if terms.includes_attendance:
        return "My family-session schedule (dates, times and places of sessions) and whether I attended them"
    return "My family-session schedule (dates, times and places of sessions)"


def _expiry(terms):
    if terms.expires_on is None:
        return f"when my enrollment in {terms.program_name} ends (when I complete the program or am discharged)"
    return f"on {_long_date(terms.expires_on)}"


def render_body(terms, version=CURRENT_VERSION):
    """The consent exactly as shown to the client before signing."""
    purpose = terms.purpose.strip()
    if purpose and purpose[-1] not in ".!?":
        purpose += "."
    return VERSIONS[version].substitute(
        version=version,
        client_name=terms.client_name,
        program_name=terms.program_name,
        what=_what(terms),
        recipient_name=terms.recipient_name,
        recipient_relationship=terms.recipient_relationship,
        recipient_email=terms.recipient_email,
        purpose=purpose,
        expiry=_expiry(terms),
        today=_long_date(terms.today),
    )


def signed_document(body, signature_name, signed_on, witness_name):
    """The body followed by the signature block: the document whose hash is stored."""
    return (
        f"{body}\nElectronic signature of the client: {signature_name}\n"
        f"Signed on: {_long_date(signed_on)}\nWitnessed by: {witness_name}\n"
    )


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
