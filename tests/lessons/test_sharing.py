"""Sharing lesson progress with the linked client's counselor: off by default, consent-bound."""

import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.extensions import db
from portal.lessons import services
from portal.security import Role
from tests.factories import link_family, make_client, make_user
from tests.lessons.conftest import make_module


def setup_family(counselor):
    module = make_module("shared", title="Shared module", lessons=2)
    member = make_user(display_name="Pat (family)")
    client_row = make_client(counselor=counselor, full_name="Sam Rivera")
    link = link_family(member, client_row, witness=counselor)
    services.complete_lesson(member, module.lessons[0])
    return member, client_row, link


def progress_page(client, client_row):
    return client.get(f"/lessons/clients/{client_row.id}/family-progress")


def test_off_by_default_then_visible_when_turned_on(app, client, auth, counselor):
    member, client_row, _ = setup_family(counselor)
    auth.login(counselor.email)
    page = progress_page(client, client_row).get_data(as_text=True)
    assert "Pat (family)" not in page and "No family member is sharing" in page
    auth.logout()

    auth.login(member.email)
    assert "Sharing your progress" in client.get("/lessons/").get_data(as_text=True)
    assert auth.post("/lessons/sharing", {"share": "y"}).status_code == 302
    assert services.sharing_enabled(member)
    assert db.session.scalar(sa.select(AuditEvent).filter_by(action="lessons.sharing_on")) is not None
    auth.logout()

    auth.login(counselor.email)
    page = progress_page(client, client_row).get_data(as_text=True)
    assert "Pat (family)" in page and "1 of 2 lessons complete" in page


def test_turning_it_off_hides_it_again(app, client, auth, counselor):
    member, client_row, _ = setup_family(counselor)
    services.set_sharing(member, True)
    auth.login(member.email)
    auth.post("/lessons/sharing", {})  # unchecked box → off
    assert not services.sharing_enabled(member)
    auth.logout()
    auth.login(counselor.email)
    assert "Pat (family)" not in progress_page(client, client_row).get_data(as_text=True)


def test_hidden_when_the_consent_is_revoked(app, client, auth, counselor):
    member, client_row, link = setup_family(counselor)
    services.set_sharing(member, True)
    link.consent.revoked_at = utcnow()
    db.session.commit()
    auth.login(counselor.email)
    assert "Pat (family)" not in progress_page(client, client_row).get_data(as_text=True)


def test_other_counselors_and_families_cannot_open_it(app, client, auth, counselor):
    member, client_row, _ = setup_family(counselor)
    services.set_sharing(member, True)
    auth.login(make_user(roles=(Role.COUNSELOR,)).email)
    assert progress_page(client, client_row).status_code == 404
    assert client.get("/lessons/clients/999999/family-progress").status_code == 404
    auth.logout()
    auth.login(member.email)
    assert progress_page(client, client_row).status_code == 403


def test_reflections_and_answers_are_never_shared(app, client, auth, counselor):
    member, client_row, _ = setup_family(counselor)
    lesson = make_module("more").lessons[0]
    services.save_reflection(member, lesson, "Private words about Sam")
    services.set_sharing(member, True)
    auth.login(counselor.email)
    page = progress_page(client, client_row).get_data(as_text=True)
    assert "Pat (family)" in page and "Private words" not in page


def test_counselor_dashboard_links_to_shared_progress_only(app, client, auth, counselor):
    member, client_row, link = setup_family(counselor)
    auth.login(counselor.email)
    assert "Family learning for Sam Rivera" not in client.get("/dashboard").get_data(as_text=True)
    services.set_sharing(member, True)
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"/lessons/clients/{client_row.id}/family-progress" in page
    auth.logout()
    auth.login(make_user(roles=(Role.COUNSELOR,)).email)  # not this client's counselor
    assert "Sam Rivera" not in client.get("/dashboard").get_data(as_text=True)
    auth.logout()
    auth.login(counselor.email)
    link.consent.revoked_at = utcnow()
    db.session.commit()
    assert "Family learning for Sam Rivera" not in client.get("/dashboard").get_data(as_text=True)
