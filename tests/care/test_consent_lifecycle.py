"""Frozen time walks a consent through signed → valid → expired, and signed → revoked.

After the end, every care path and every access.* function denies.
"""

import re
from datetime import UTC, date, datetime

import time_machine

from portal.care import access
from portal.care.models import Consent, FamilyLink
from portal.extensions import db
from tests.care.conftest import sign
from tests.factories import make_client, make_program, make_user

SIGNED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
# Daylight saving time began in New York on 8 March 2026 (UTC-4 from then on).
LAST_DAY_EVENING = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)  # 23:30 on 10 March in New York
DAY_AFTER = datetime(2026, 3, 11, 4, 30, tzinfo=UTC)  # 00:30 on 11 March in New York


def _setup_linked_family(client, auth, expires_on=None):
    """Counselor records and signs a consent, invites, the family member accepts (all through HTTP)."""
    counselor = make_user(email="casey@example.org", roles=("counselor",))
    program = make_program(name="Evening IOP", counselors=[counselor])
    sam = make_client(
        program=program,
        full_name="Sam Rivera",
        counselor=counselor,
        enrollment_start=date(2026, 2, 1),
        expected_end=date(2026, 5, 1),
    )
    family = make_user(email="jordan@example.org")
    auth.login(counselor.email)
    extra = {"expiry_kind": "date", "expires_on": expires_on.isoformat()} if expires_on else {}
    assert sign(auth, sam.id, includes_attendance="y", **extra).status_code == 302
    consent = db.session.scalar(db.select(Consent))
    auth.post(f"/care/consents/{consent.id}/invite")
    auth.logout()
    return counselor, sam, family, consent


def _accept(client, auth, outbox, family):
    path = re.search(r"http://localhost(/care/invite/\S+)", outbox()[-1].get_content()).group(1)
    auth.login(family.email)
    assert auth.post(path).status_code == 302
    return path


def _assert_allowed(client, family, sam):
    assert access.may_see_client(family, sam.id)
    assert access.may_see_attendance(family, sam.id)
    assert [c.id for c in access.visible_clients(family)] == [sam.id]
    assert access.linked_program_ids(family) == {sam.program_id}
    assert "Sam Rivera" in client.get("/care/my-family").get_data(as_text=True)


def _assert_denied(client, auth, family, sam, link_id, invite_path):
    db.session.expire_all()
    assert access.active_links(family) == []
    assert access.link_for_client(family, sam.id) is None
    assert not access.may_see_client(family, sam.id)
    assert not access.may_see_attendance(family, sam.id)
    assert access.visible_clients(family) == []
    assert access.linked_program_ids(family) == set()
    auth.logout()
    auth.login(family.email)
    page = client.get("/care/my-family").get_data(as_text=True)
    assert "Sam Rivera" not in page and "not linked to anyone" in page
    assert "1 person" not in client.get("/dashboard").get_data(as_text=True)
    assert client.get(invite_path).status_code == 404
    assert client.get(f"/care/clients/{sam.id}").status_code == 403


def test_signed_valid_then_expired(client, auth, outbox):
    with time_machine.travel(SIGNED, tick=False):
        counselor, sam, family, consent = _setup_linked_family(client, auth, expires_on=date(2026, 3, 10))
        invite_path = _accept(client, auth, outbox, family)
        _assert_allowed(client, family, sam)
        link_id = db.session.scalar(db.select(FamilyLink.id))
    with time_machine.travel(LAST_DAY_EVENING, tick=False):
        auth.login(family.email)
        _assert_allowed(client, family, sam)
    with time_machine.travel(DAY_AFTER, tick=False):
        _assert_denied(client, auth, family, sam, link_id, invite_path)
        auth.logout()
        auth.login(counselor.email)
        page = client.get(f"/care/clients/{sam.id}").get_data(as_text=True)
        assert "Expired" in page and "Send invitation" not in page
        auth.post(f"/care/consents/{consent.id}/invite")
        assert len(outbox()) == 1  # no invitation from an expired consent


def test_signed_then_revoked(client, auth, outbox):
    with time_machine.travel(SIGNED, tick=False):
        counselor, sam, family, consent = _setup_linked_family(client, auth)
        invite_path = _accept(client, auth, outbox, family)
        _assert_allowed(client, family, sam)
        link_id = db.session.scalar(db.select(FamilyLink.id))
        auth.logout()
    with time_machine.travel(datetime(2026, 3, 5, 15, 0, tzinfo=UTC), tick=False):
        auth.login(family.email)
        _assert_allowed(client, family, sam)
        auth.logout()
        auth.login(counselor.email)
        response = auth.post(
            f"/care/consents/{consent.id}/revoke",
            data={"requested_by": "Sam Rivera", "requested_on": "2026-03-05", "method": "in_person"},
        )
        assert response.status_code == 302
        _assert_denied(client, auth, family, sam, link_id, invite_path)
        assert auth.post(f"/care/links/{link_id}/leave").status_code == 404
    with time_machine.travel(datetime(2026, 4, 1, 15, 0, tzinfo=UTC), tick=False):
        _assert_denied(client, auth, family, sam, link_id, invite_path)


def test_revocation_denies_the_very_next_request_of_a_signed_in_family_member(client, auth, outbox, app):
    counselor, sam, family, consent = _setup_linked_family(client, auth)
    _accept(client, auth, outbox, family)
    assert "Sam Rivera" in client.get("/care/my-family").get_data(as_text=True)
    staff = app.test_client()
    from tests.conftest import AuthActions

    staff_auth = AuthActions(staff)
    staff_auth.login(counselor.email)
    staff_auth.post(
        f"/care/consents/{consent.id}/revoke",
        data={"requested_by": "Sam Rivera", "requested_on": access.consent_today().isoformat(), "method": "phone"},
    )
    assert "Sam Rivera" not in client.get("/care/my-family").get_data(as_text=True)
