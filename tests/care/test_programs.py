from portal.care.models import Program
from portal.extensions import db
from portal.security import Role
from tests.factories import make_program, make_user

LONG = "x" * 10_000


def _form(**overrides):
    data = {"name": "Morning IOP", "description": "Mornings", "timezone": "America/Chicago", "active": "y"}
    data.update(overrides)
    return data


def test_admin_creates_program_with_counselors(client, auth, admin, counselor):
    auth.login(admin.email)
    response = auth.post("/care/programs/new", data={**_form(), "counselor_ids": [str(counselor.id)]})
    assert response.status_code == 302
    program = db.session.scalar(db.select(Program).filter_by(name="Morning IOP"))
    assert program.timezone == "America/Chicago" and program.active
    assert program.counselors == [counselor]
    assert "Morning IOP" in client.get("/care/programs").get_data(as_text=True)


def test_admin_edits_program(client, auth, admin, program):
    auth.login(admin.email)
    response = auth.post(f"/care/programs/{program.id}/edit", data=_form(name="Evening IOP", active=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert program.active is False and program.counselors == []


def test_bad_program_input_shows_errors(client, auth, admin, program):
    auth.login(admin.email)
    for data in (
        _form(timezone="Mars/Olympus"),
        _form(name=LONG),
        _form(description=LONG),
        _form(name="evening iop"),
        _form(counselor_ids="not-a-number"),
        _form(name=""),
    ):
        response = auth.post("/care/programs/new", data=data)
        assert response.status_code == 422
        assert 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Program.id))) == 1


def test_only_admins_manage_programs(client, auth, counselor, program):
    auth.login(counselor.email)
    assert client.get("/care/programs").status_code == 403
    assert client.get(f"/care/programs/{program.id}/edit").status_code == 403
    assert auth.post("/care/programs/new", data=_form()).status_code == 403
    auth.logout()
    family = make_user()
    auth.login(family.email)
    assert client.get("/care/programs").status_code == 403


def test_unknown_program_is_404(client, auth, admin):
    auth.login(admin.email)
    assert client.get("/care/programs/999/edit").status_code == 404
    assert client.get(f"/care/programs/{2**40}/edit").status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get("/care/programs")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_counselor_choices_are_counselors_only(client, auth, admin):
    make_user(email="mod@example.org", roles=(Role.MODERATOR,))
    make_program()
    auth.login(admin.email)
    page = client.get("/care/programs/new").get_data(as_text=True)
    assert "mod@example.org" not in page
