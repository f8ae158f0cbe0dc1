from portal.audit import AuditEvent
from portal.auth import services as auth_services
from portal.auth.models import User
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


def _seed_twice_around(runner, change):
    """`flask seed-demo`, a person's change, `flask seed-demo` again (as `make run` twice)."""
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    change()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output


def _demo_rows():
    family = db.session.scalar(db.select(User).filter_by(email="family@example.org"))
    sam = db.session.scalar(db.select(Client).filter_by(full_name="Sam Rivera"))
    return family, sam


def test_seeding_again_never_undoes_a_revocation(app, runner):
    """Regression (found as a new user): `make run` again re-created a consent the client had revoked."""
    from portal.audit import AuditEvent
    from portal.care import services

    def revoke():
        family, sam = _demo_rows()
        counselor = db.session.scalar(db.select(User).filter_by(email="counselor@example.org"))
        consent = db.session.scalar(db.select(Consent).filter_by(client_id=sam.id, recipient_email=family.email))
        services.revoke_consent(
            consent, actor=counselor, requested_by="Sam Rivera", requested_on=access.consent_today(), method="phone"
        )

    _seed_twice_around(runner, revoke)
    db.session.expire_all()
    family, sam = _demo_rows()
    # Jordan's consent and link (the demo has Lucía's too: familia@example.org, in Spanish)
    consents = db.session.scalars(db.select(Consent).filter_by(recipient_email=family.email)).all()
    assert len(consents) == 1 and consents[0].revoked_at is not None
    links = db.session.scalars(db.select(FamilyLink).filter_by(user_id=family.id)).all()
    assert len(links) == 1 and links[0].ended_reason == "consent_revoked"
    assert not access.may_see_client(family, sam.id)
    signed = db.session.scalars(
        db.select(AuditEvent).filter_by(action="consent.signed", consent_id=consents[0].id)
    ).all()
    assert len(signed) == 1  # only the first seed's


def test_seeding_again_keeps_an_expired_consent_a_left_link_and_a_discharge(app, runner):
    from datetime import date

    from portal.care import services

    def change():
        family, sam = _demo_rows()
        consent = db.session.scalar(db.select(Consent).filter_by(client_id=sam.id, recipient_email=family.email))
        consent.expires_on = date(2020, 1, 1)
        link = db.session.scalar(db.select(FamilyLink).filter_by(user_id=family.id))
        services.leave_link(link, user=family)
        counselor = db.session.scalar(db.select(User).filter_by(email="counselor@example.org"))
        services.end_enrollment(sam, actor=counselor, status="discharged", ended_on=access.consent_today())

    _seed_twice_around(runner, change)
    db.session.expire_all()
    family, sam = _demo_rows()
    # Jordan's and Lucía's (familia@example.org) consents and links, each recorded once
    assert (_count(Client), _count(Consent), _count(FamilyLink)) == (1, 2, 2)
    assert sam.status == "discharged"
    assert db.session.scalar(db.select(FamilyLink).filter_by(user_id=family.id)).ended_reason == "left_by_family"
    jordans = db.select(Consent).filter_by(recipient_email=family.email)
    assert db.session.scalar(jordans).expires_on == date(2020, 1, 1)
    assert access.active_links(family) == []
