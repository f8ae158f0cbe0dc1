"""A counselor assigns lessons, modules or worksheets to a client's linked family; the family member
sees "From your counselor"; the counselor sees completion only while the member shares progress."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.clock import utcnow
from portal.extensions import db
from portal.lessons import assignments, services
from portal.lessons.models import Assignment
from portal.security import Role
from tests.factories import link_family, make_client, make_user
from tests.lessons.conftest import make_module


@pytest.fixture
def setup(app, counselor):
    module = make_module("trusting", title="Trusting again", lessons=2)
    member = make_user(email="pat@example.org", display_name="Pat (family)")
    client_row = make_client(counselor=counselor, full_name="Sam Rivera")
    link = link_family(member, client_row, witness=counselor)
    return module, member, client_row, link


def _assign(auth, client_row, member, items, **extra):
    data = {"items": items, "members": [str(member.id)], "due_on": "", "note": "", **extra}
    return auth.post(f"/lessons/clients/{client_row.id}/assign", data, page=f"/lessons/clients/{client_row.id}/assign")


def test_counselor_assigns_and_family_sees_it_first_on_the_dashboard(client, auth, counselor, setup):
    module, member, client_row, _ = setup
    auth.login(counselor.email)
    page = client.get(f"/lessons/clients/{client_row.id}/assign").get_data(as_text=True)
    assert 'value="module:trusting"' in page and 'value="trusting-lesson-1"' in page and "Pat (family)" in page
    due = (date.today() + timedelta(days=7)).isoformat()
    response = _assign(
        auth, client_row, member, ["trusting-lesson-1"], due_on=due, note="Before <b>Tuesday</b> & after"
    )
    assert response.status_code == 302
    row = db.session.scalar(sa.select(Assignment))
    assert row.user_id == member.id and row.target == "trusting-lesson-1" and row.due_on.isoformat() == due
    assert "<b>" not in row.note
    auth.logout()

    auth.login(member.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "From your counselor" in html
    main = html.split('id="main"')[1]
    assert main.index("From your counselor") < main.index("My family")  # what needs attention first
    assert 'href="/lessons/read/trusting-lesson-1"' in html and "Due " in html
    assert "Before Tuesday &amp; after" in html and "<b>Tuesday" not in html


def test_a_whole_module_is_done_when_all_its_lessons_are(setup, counselor):
    module, member, client_row, _ = setup
    assignments.assign(counselor, client_row, [member.id], ["module:trusting"])
    services.complete_lesson(member, module.lessons[0])
    assert assignments.for_family_member(member)[0].done is False
    services.complete_lesson(member, module.lessons[1])
    assert assignments.for_family_member(member)[0].done is True


def test_counselor_sees_completion_only_while_sharing_is_on(client, auth, counselor, setup):
    module, member, client_row, _ = setup
    assignments.assign(counselor, client_row, [member.id], ["trusting-lesson-1"])
    services.complete_lesson(member, module.lessons[0])
    auth.login(counselor.email)

    services.set_sharing(member, False)
    db.session.commit()
    html = client.get(f"/lessons/clients/{client_row.id}/assign").get_data(as_text=True)
    section = html.split('id="member-')[1]
    assert "does not share lesson progress" in section
    assert "Done" not in section and "Not done yet" not in section and "assign-state" not in section

    services.set_sharing(member, True)
    db.session.commit()
    html = client.get(f"/lessons/clients/{client_row.id}/assign").get_data(as_text=True)
    assert "assign-state" in html and "Done" in html.split('id="member-')[1]


def test_family_no_longer_sees_assignments_after_the_consent_ended(client, auth, counselor, setup):
    module, member, client_row, link = setup
    assignments.assign(counselor, client_row, [member.id], ["trusting-lesson-1"], note="Sam asked for this")
    link.consent.revoked_at = utcnow()
    db.session.commit()
    auth.login(member.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "From your counselor" not in html and "Sam asked" not in html


def test_only_linked_members_of_a_managed_client(client, auth, counselor, setup):
    module, member, client_row, _ = setup
    stranger = make_user(email="stranger@example.org")
    with pytest.raises(assignments.AssignmentError):
        assignments.assign(counselor, client_row, [stranger.id], ["trusting-lesson-1"])
    auth.login(counselor.email)
    response = _assign(auth, client_row, stranger, ["trusting-lesson-1"])
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0
    other_counselor = make_user(email="other@example.org", roles=(Role.COUNSELOR,))
    auth.logout()
    auth.login(other_counselor.email)
    assert client.get(f"/lessons/clients/{client_row.id}/assign").status_code == 404
    assert _assign(auth, client_row, member, ["trusting-lesson-1"]).status_code == 404
    auth.logout()
    auth.login(member.email)
    assert client.get(f"/lessons/clients/{client_row.id}/assign").status_code == 403
    assert _assign(auth, client_row, member, ["trusting-lesson-1"]).status_code == 403
    auth.logout()
    assert client.get(f"/lessons/clients/{client_row.id}/assign").status_code == 302


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"items": ["<script>alert(1)</script>"]}, "lesson addresses"),
        ({"items": ["no-such-lesson"]}, "is not a published lesson or module"),
        ({"items": ["trusting"]}, "is not a published lesson or module"),
        ({"items": []}, "Choose at least one"),
        ({"members": []}, "Choose at least one family member"),
        ({"members": ["abc"]}, "Choose"),
        ({"due_on": "2001-01-01"}, "between today and one year"),
        ({"due_on": "not-a-date"}, "Not a valid date"),
        ({"note": "x" * 5000}, "Field cannot be longer"),
        ({"note": "' OR 1=1; DROP TABLE users; --", "items": ["x" * 500]}, "lesson addresses"),
    ],
)
def test_bad_input_is_a_field_error_never_500(client, auth, counselor, setup, overrides, message):
    module, member, client_row, _ = setup
    auth.login(counselor.email)
    response = _assign(auth, client_row, member, **{"items": ["trusting-lesson-1"], **overrides})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "<script>alert(1)</script>" not in html
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_withdraw_needs_a_post_with_csrf_and_the_right_client(client, auth, counselor, setup):
    module, member, client_row, _ = setup
    row = assignments.assign(counselor, client_row, [member.id], ["trusting-lesson-1"])[0]
    other_client = make_client(counselor=counselor)
    auth.login(counselor.email)
    assert client.post(f"/lessons/clients/{client_row.id}/assignments/{row.id}/withdraw").status_code == 400
    path = f"/lessons/clients/{other_client.id}/assignments/{row.id}/withdraw"
    assert auth.post(path).status_code == 404
    assert auth.post(f"/lessons/clients/{client_row.id}/assignments/{row.id}/withdraw").status_code == 302
    assert db.session.get(Assignment, row.id).withdrawn_at is not None
    assert assignments.for_family_member(member) == []


def test_assigning_sends_the_signal_for_notifications(setup, counselor):
    module, member, client_row, _ = setup
    calls = []
    with assignments.assigned.connected_to(lambda sender, **kw: calls.append(kw)):
        rows = assignments.assign(counselor, client_row, [member.id], ["trusting-lesson-1", "module:trusting"])
        assignments.assign(counselor, client_row, [member.id], ["trusting-lesson-1"])  # already open: not repeated
    assert calls == [{"client_id": client_row.id, "user_ids": [member.id], "assignment_ids": [r.id for r in rows]}]


def test_worksheets_can_be_assigned_and_done_means_any_answer(setup, counselor):
    from portal.lessons import worksheets

    module, member, client_row, _ = setup
    assignments.assign(counselor, client_row, [member.id], ["worksheet:trigger-plan"])
    assert assignments.for_family_member(member)[0].done is False
    sheet = worksheets.find("trigger-plan")
    worksheets.save(member, sheet, {sheet.fields[0].name: "Fridays after work"})
    assert assignments.for_family_member(member)[0].done is True
