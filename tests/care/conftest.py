"""Care helpers: the consent form and its two steps (the people and records are in tests/conftest.py)."""

import re

CONSENT = {
    "recipient_name": "Jordan",
    "recipient_relationship": "parent",
    "recipient_email": "jordan@example.org",
    "purpose": "To take part in family sessions",
    "expiry_kind": "enrollment",
    "expires_on": "",
}


def review(auth, client_id, **overrides):
    """POST the details step; returns the response (the review page when valid)."""
    data = {**CONSENT, **overrides}
    return auth.post(f"/care/clients/{client_id}/consents/new", data={k: v for k, v in data.items() if v is not None})


def sign(auth, client_id, signature="Sam Rivera", attest=True, **overrides):
    """Go through review and sign; returns the signing response."""
    page = review(auth, client_id, **overrides).get_data(as_text=True)
    shown = re.search(r'name="shown_sha256" type="hidden" value="([0-9a-f]{64})"', page)
    if shown is None:
        shown = re.search(r'id="shown_sha256" name="shown_sha256" type="hidden" value="([0-9a-f]{64})"', page)
    assert shown, "no review page"
    data = {**CONSENT, **overrides, "shown_sha256": shown.group(1), "signature_name": signature}
    if attest:
        data["attest"] = "y"
    return auth.post(f"/care/clients/{client_id}/consents/sign", data={k: v for k, v in data.items() if v is not None})


def strip_volatile(html):
    """Remove the per-request CSRF tokens (they carry a timestamp) so two pages compare byte for byte."""
    html = re.sub(r'<meta name="csrf-token" content="[^"]*">', "", html)
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)
