from portal.audit import AuditEvent
from portal.care import access
from portal.care.models import FamilyLink
from portal.extensions import db
from portal.security import Role
from tests.care.conftest import strip_volatile
from tests.factories import link_family, make_client, make_user


def test_my_family_shows_consent_terms_notice_and_records_disclosure(client, auth, counselor, sam, family):
    link = link_family(family, sam, witness=counselor, includes_attendance=True)
    auth.login(family.email)
    page = client.get("/care/my-family").get_data(as_text=True)
    assert "Sam Rivera" in page and "Evening IOP" in page
    assert "whether sessions were attended" in page
    assert "Until the end of the program enrollment" in page
    assert "42 CFR Part 2" in page and "Leave this link" in page
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="disclosure.my_family"))
    assert (event.actor_id, event.client_id, event.consent_id) == (family.id, sam.id, link.consent_id)


def test_unlinked_family_member_sees_no_one_and_nothing_is_recorded(client, auth, sam):
    alex = make_user()
    auth.login(alex.email)
    page = client.get("/care/my-family").get_data(as_text=True)
    assert "not linked to anyone" in page and "Sam Rivera" not in page
    assert db.session.scalar(db.select(AuditEvent).filter_by(action="disclosure.my_family")) is None


def test_staff_cannot_open_my_family(client, auth, counselor):
    auth.login(counselor.email)
    assert client.get("/care/my-family").status_code == 403


def test_leave_link_ends_it_and_signals(client, auth, counselor, sam, family):
    link = link_family(family, sam, witness=counselor)
    calls = []

    def listener(sender, **kw):
        calls.append(kw)

    # connected_to disconnects only this listener: rooms and calendar keep theirs.
    with access.consent_ended.connected_to(listener):
        auth.login(family.email)
        assert auth.post(f"/care/links/{link.id}/leave").status_code == 302
    db.session.expire_all()
    assert db.session.get(FamilyLink, link.id).ended_reason == "left_by_family"
    assert not access.may_see_client(family, sam.id)
    assert calls == [{"client_id": sam.id, "consent_id": link.consent_id, "user_ids": [family.id], "reason": "left"}]
    assert "Sam Rivera" not in client.get("/care/my-family").get_data(as_text=True)


def test_cannot_leave_someone_elses_link(client, auth, counselor, sam, family):
    link = link_family(family, sam, witness=counselor)
    other = make_user()
    auth.login(other.email)
    assert auth.post(f"/care/links/{link.id}/leave").status_code == 404
    assert auth.post("/care/links/999999/leave").status_code == 404
    assert auth.post(f"/care/links/{2**62}/leave").status_code == 404
    assert db.session.get(FamilyLink, link.id).ended_at is None


def test_leaving_needs_csrf(client, auth, counselor, sam, family):
    link = link_family(family, sam, witness=counselor)
    auth.login(family.email)
    assert client.post(f"/care/links/{link.id}/leave").status_code == 400
    assert db.session.get(FamilyLink, link.id).ended_at is None


def test_no_family_route_reveals_whether_someone_is_a_client(client, auth, sam):
    """Ids of real and made-up clients get the same answer; there is no lookup by name or email."""
    other_client = make_client(full_name="Taylor Other")
    alex = make_user()
    auth.login(alex.email)
    answers = set()
    for path in (
        f"/care/clients/{sam.id}",
        "/care/clients/424242",
        f"/care/clients/{other_client.id}/disclosures",
        "/care/clients/424242/disclosures",
        "/care/clients?q=Sam",
        "/care/clients?q=Nobody",
    ):
        response = client.get(path)
        answers.add((response.status_code, strip_volatile(response.get_data(as_text=True))))
    assert len(answers) == 1 and next(iter(answers))[0] == 403


def test_dashboard_panels(client, auth, counselor, sam, family):
    link_family(family, sam, witness=counselor)
    auth.login(family.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "You are linked to 1 person" in page and "Sam Rivera" not in page
    auth.logout()
    auth.login(counselor.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Clients and consents" in page and "1 enrolled client, 1 consent not revoked." in page
    auth.logout()
    moderator = make_user(roles=(Role.MODERATOR,))
    auth.login(moderator.email)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Clients and consents" not in page and "My family" not in page


def test_my_family_names_the_client_as_the_consent_does(client, auth, counselor, sam, family):
    link = link_family(family, sam, witness=counselor)
    link.consent.client_name = "Sam Rivera"
    sam.full_name = "Samuel Rivera-Ortiz"
    db.session.commit()
    auth.login(family.email)
    page = client.get("/care/my-family").get_data(as_text=True)
    assert "Sam Rivera" in page and "Samuel Rivera-Ortiz" not in page


def test_signal_receivers_of_other_features_stay_connected():
    """Regression: a test once cleared every receiver, silently breaking rooms and calendar tests."""
    import weakref

    import portal.calendar.events_hooks  # noqa: F401
    import portal.rooms.events  # noqa: F401

    receivers = [r() if isinstance(r, weakref.ref) else r for r in access.consent_ended.receivers.values()]
    names = {getattr(r, "__module__", "") for r in receivers}
    assert {"portal.calendar.events_hooks", "portal.rooms.standing"} <= names
