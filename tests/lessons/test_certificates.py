"""Certificates: printable page for the owner; public verification of four facts only."""

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons import services
from portal.lessons.models import Certificate
from tests.factories import make_user
from tests.lessons.conftest import make_module


def earn(user, module):
    for lesson in module.lessons:
        certificate = services.complete_lesson(user, lesson)
    return certificate


def test_certificate_page_shows_name_module_date_and_code(app, learner, client):
    module = make_module("cert", title="Rebuilding trust")
    certificate = earn(learner, module)
    page = client.get(f"/lessons/certificates/{certificate.code}").get_data(as_text=True)
    assert "Certificate of completion" in page
    assert "Jordan" in page and "Rebuilding trust" in page and certificate.code in page
    assert certificate.code in client.get("/lessons/certificates").get_data(as_text=True)
    assert f"/lessons/certificates/{certificate.code}" in client.get("/lessons/").get_data(as_text=True)


def test_no_certificate_until_every_published_lesson_is_done(app):
    user = make_user()
    module = make_module("partial", lessons=3)
    services.complete_lesson(user, module.lessons[0])
    services.complete_lesson(user, module.lessons[1])
    assert db.session.scalar(sa.select(Certificate)) is None
    assert services.complete_lesson(user, module.lessons[2]) is not None


def test_other_peoples_certificates_are_404(app, client, auth):
    owner = make_user()
    certificate = earn(owner, make_module("mine"))
    auth.login(make_user().email)
    assert client.get(f"/lessons/certificates/{certificate.code}").status_code == 404
    assert client.get("/lessons/certificates/FB-NOPE-NOPE").status_code == 404


def test_public_verification_confirms_only_four_facts(app, client):
    owner = make_user(display_name="Robin", email="robin-private@example.org")
    certificate = earn(owner, make_module("verify", title="Caring for yourself"))
    for url in (
        f"/lessons/certificates/verify/{certificate.code}",
        f"/lessons/certificates/verify?code={certificate.code.lower()}",
    ):
        response = client.get(url)  # no login needed
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "This certificate is genuine" in page
        assert "Robin" in page and "Caring for yourself" in page and certificate.code in page
        assert "robin-private@example.org" not in page
        assert "/lessons/modules/" not in page  # nothing about the person's other learning


def test_unknown_or_hostile_codes_are_a_neutral_not_found(app, client):
    for code in ("FB-AAAAA-BBBBB", "' OR '1'='1", "<script>alert(1)</script>", "x" * 500, "", "%00"):
        response = client.get("/lessons/certificates/verify", query_string={"code": code})
        assert response.status_code == 200, code
        page = response.get_data(as_text=True)
        assert "This certificate is genuine" not in page
        assert "<script>alert(1)</script>" not in page
    page = client.get("/lessons/certificates/verify/FB-AAAAA-BBBBB").get_data(as_text=True)
    assert "Not found" in page
    assert client.get("/lessons/certificates/verify").status_code == 200


def test_name_on_certificate_is_kept_as_issued(app, client):
    owner = make_user(display_name="Before")
    certificate = earn(owner, make_module("rename"))
    owner.display_name = "After"
    db.session.commit()
    page = client.get(f"/lessons/certificates/verify/{certificate.code}").get_data(as_text=True)
    assert "Before" in page


def test_verification_is_rate_limited(app, client):
    statuses = [client.get("/lessons/certificates/verify/FB-AAAAA-BBBBB").status_code for _ in range(35)]
    assert statuses[0] == 200 and statuses[-1] == 429
