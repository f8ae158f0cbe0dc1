from portal.audit import AuditEvent
from portal.auth import services as auth_services
from portal.care import access, consent_text, demo
from portal.care.models import Client, Consent, FamilyLink, Program
from portal.extensions import db
from portal.security import Role


def _accounts():
    accounts = {}
    for email, roles in (
        ("family@example.org", {Role.FAMILY}),
        ("family2@example.org", {Role.FAMILY}),
        ("counselor@example.org", {Role.COUNSELOR}),
        ("admin@example.org", {Role.ADMIN}),
        ("moderator@example.org", {Role.MODERATOR}),
    ):
        accounts[email] = auth_services.ensure_demo_user(email, email.split("@")[0].title(), roles, "demo-pass-1234")
    db.session.commit()
    return accounts


def _count(model):
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_demo_seed_is_complete_and_idempotent(app):
    accounts = _accounts()
    demo.seed(accounts)
    demo.seed(accounts)
    assert (_count(Program), _count(Client), _count(Consent), _count(FamilyLink)) == (1, 1, 1, 1)
    program = db.session.scalar(db.select(Program))
    assert program.name == "Evening IOP" and program.timezone == "America/New_York"
    assert accounts["counselor@example.org"] in program.counselors
    sam = db.session.scalar(db.select(Client))
    assert sam.full_name == "Sam Rivera" and sam.primary_counselor_id == accounts["counselor@example.org"].id
    consent = db.session.scalar(db.select(Consent))
    assert (consent.recipient_name, consent.recipient_relationship, consent.recipient_email) == (
        "Jordan",
        "parent",
        "family@example.org",
    )
    assert consent.includes_attendance and consent.expires_on is None
    assert consent.text_sha256 == consent_text.sha256(consent.signed_text)
    assert access.may_see_client(accounts["family@example.org"], sam.id)
    assert access.may_see_attendance(accounts["family@example.org"], sam.id)
    assert access.visible_clients(accounts["family2@example.org"]) == []


def test_the_demo_consent_is_recorded_as_a_signed_one_is(app):
    """The demo goes through services.record_consent, the recording step of sign_consent: the same
    audit entry (version, hash of the signed text, attendance) as a consent signed in the portal."""
    accounts = _accounts()
    demo.seed(accounts)
    consent = db.session.scalar(db.select(Consent))
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="consent.signed"))
    assert event.consent_id == consent.id and event.actor_id == accounts["counselor@example.org"].id
    assert event.detail == {
        "version": consent.text_version,
        "sha256": consent.text_sha256,
        "attendance": True,
        "via": "seed-demo",
    }
    assert consent.signature_name == consent.client_name == "Sam Rivera"
    assert consent.witnessed_by_id == accounts["counselor@example.org"].id
