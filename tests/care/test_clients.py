from datetime import date, timedelta

from portal.audit import AuditEvent
from portal.care.models import Client
from portal.extensions import db
from portal.security import Role
from tests.factories import make_client, make_program, make_user

LONG = "x" * 10_000


def _form(program, counselor, **overrides):
    data = {
        "full_name": "Riley Chen",
        "program_id": str(program.id),
        "enrollment_start": date.today().isoformat(),
        "expected_end": (date.today() + timedelta(days=60)).isoformat(),
        "primary_counselor_id": str(counselor.id),
        "record_number": "R-100",
    }
    data.update(overrides)
    return data


def test_counselor_creates_and_edits_client(client, auth, counselor, program):
    auth.login(counselor.email)
    response = auth.post("/care/clients/new", data=_form(program, counselor))
    assert response.status_code == 302
    riley = db.session.scalar(db.select(Client).filter_by(full_name="Riley Chen"))
    assert riley.status == "active" and riley.primary_counselor_id == counselor.id
    assert response.headers["Location"].endswith(f"/care/clients/{riley.id}")
    response = auth.post(f"/care/clients/{riley.id}/edit", data=_form(program, counselor, full_name="Riley  Chen-Park"))
    assert response.status_code == 302
    db.session.expire_all()
    assert riley.full_name == "Riley Chen-Park"
    query = db.select(AuditEvent.action).filter_by(client_id=riley.id).order_by(AuditEvent.id)
    actions = db.session.scalars(query).all()
    assert actions == ["client.created", "client.updated"]


def test_bad_client_input_never_500s(client, auth, counselor, program):
    auth.login(counselor.email)
    other_program = make_program()
    cases = [
        _form(program, counselor, full_name=LONG),
        _form(program, counselor, record_number=LONG),
        _form(program, counselor, enrollment_start="not a date"),
        _form(program, counselor, expected_end=(date.today() - timedelta(days=9)).isoformat()),
        _form(program, counselor, program_id=str(other_program.id)),
        _form(program, counselor, program_id="abc"),
        _form(program, counselor, primary_counselor_id="99999"),
        _form(program, counselor, full_name="<script>alert(1)</script>' OR 1=1 --", enrollment_start=""),
    ]
    for data in cases:
        response = auth.post("/care/clients/new", data=data)
        assert response.status_code == 422, data
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Client.id))) == 0


def test_primary_counselor_must_be_assigned_to_program(client, auth, counselor, program):
    outsider = make_user(roles=(Role.COUNSELOR,))
    auth.login(counselor.email)
    response = auth.post("/care/clients/new", data=_form(program, outsider))
    assert "Choose a counselor assigned to this program." in response.get_data(as_text=True)


def test_counselor_sees_only_own_program_clients(client, auth, counselor, sam):
    make_client(full_name="Taylor Other", counselor=make_user(roles=(Role.COUNSELOR,)))
    auth.login(counselor.email)
    page = client.get("/care/clients").get_data(as_text=True)
    assert "Sam Rivera" in page and "Taylor Other" not in page


def test_idor_other_programs_client_is_404(client, auth, counselor, sam):
    other = make_client(full_name="Taylor Other", counselor=make_user(roles=(Role.COUNSELOR,)))
    auth.login(counselor.email)
    for path in (
        f"/care/clients/{other.id}",
        f"/care/clients/{other.id}/edit",
        f"/care/clients/{other.id}/end",
        f"/care/clients/{other.id}/disclosures",
        f"/care/clients/{other.id}/consents/new",
        "/care/clients/999999",
        f"/care/clients/{2**63}",
    ):
        assert client.get(path).status_code == 404, path
    assert (
        auth.post(
            f"/care/clients/{other.id}/end", data={"status": "discharged", "ended_on": date.today().isoformat()}
        ).status_code
        == 404
    )
    db.session.expire_all()
    assert other.status == "active"


def test_admin_sees_every_client(client, auth, admin, sam):
    other = make_client(full_name="Taylor Other")
    auth.login(admin.email)
    page = client.get("/care/clients").get_data(as_text=True)
    assert "Sam Rivera" in page and "Taylor Other" in page
    assert client.get(f"/care/clients/{other.id}").status_code == 200


def test_search(client, auth, counselor, program, sam):
    make_client(program=program, full_name="Robin Park", counselor=counselor)
    auth.login(counselor.email)
    page = client.get("/care/clients?q=rive").get_data(as_text=True)
    assert "Sam Rivera" in page and "Robin Park" not in page
    for hostile in ("%", "_", "' OR '1'='1", "x" * 10_000, "\\"):
        response = client.get("/care/clients", query_string={"q": hostile})
        assert response.status_code == 200
        assert "Sam Rivera" not in response.get_data(as_text=True) or hostile == "x" * 10_000


def test_family_cannot_list_or_search_clients_and_answer_is_identical(client, auth, sam):
    family = make_user()
    auth.login(family.email)
    existing = client.get("/care/clients?q=Sam+Rivera")
    missing = client.get("/care/clients?q=Nobody+Atall")
    assert existing.status_code == missing.status_code == 403
    assert client.get(f"/care/clients/{sam.id}").status_code == 403
    assert client.get("/care/clients/999999").status_code == 403


def test_discharge_sets_status_and_date(client, auth, counselor, sam):
    auth.login(counselor.email)
    response = auth.post(
        f"/care/clients/{sam.id}/end", data={"status": "discharged", "ended_on": date.today().isoformat()}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert sam.status == "discharged" and sam.ended_on == date.today()
    again = auth.post(f"/care/clients/{sam.id}/end", data={"status": "completed", "ended_on": date.today().isoformat()})
    assert again.status_code == 200
    db.session.expire_all()
    assert sam.status == "discharged"


def test_end_enrollment_rejects_bad_input(client, auth, counselor, sam):
    auth.login(counselor.email)
    for data in (
        {"status": "vanished", "ended_on": date.today().isoformat()},
        {"status": "completed", "ended_on": "yesterday"},
        {"status": "completed", "ended_on": (sam.enrollment_start - timedelta(days=1)).isoformat()},
    ):
        assert auth.post(f"/care/clients/{sam.id}/end", data=data).status_code == 422
    db.session.expire_all()
    assert sam.status == "active"


def test_hostile_names_are_escaped_everywhere(client, auth, counselor, program):
    payloads = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "Robert'); DROP TABLE clients;--"]
    auth.login(counselor.email)
    for name in payloads:
        response = auth.post("/care/clients/new", data=_form(program, counselor, full_name=name))
        assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(Client.id))) == 3
    pages = [client.get("/care/clients").get_data(as_text=True)]
    for row in db.session.scalars(db.select(Client)):
        pages.append(client.get(f"/care/clients/{row.id}").get_data(as_text=True))
        pages.append(client.get(f"/care/clients/{row.id}/disclosures").get_data(as_text=True))
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in pages[0] and "DROP TABLE clients" in pages[0]
