"""Humane dead ends: an ended consent is explained calmly, and every 403/404 offers a way back."""

from datetime import date, timedelta

from portal.clock import utcnow
from portal.extensions import db
from tests.factories import link_family, make_client

CHANGED = "What changed"
NOTE = "What you can see in the portal has changed"


def test_revoked_consent_is_explained_on_my_family(auth, client, family, sam):
    link = link_family(family, sam)
    link.consent.revoked_at = utcnow()
    db.session.commit()
    auth.login(family.email)
    html = client.get("/care/my-family").get_data(as_text=True)
    assert CHANGED in html
    assert "A consent that let you see a family member's information has ended" in html
    assert "Sam Rivera" not in html  # never more than the person may see now
    assert "ask the counselor who invited you" in html
    assert "revoked" not in html.lower().split(CHANGED.lower())[1]


def test_expired_consent_names_the_end_date_reason(auth, client, family, sam):
    link_family(family, sam, expires_on=date.today() - timedelta(days=3))
    auth.login(family.email)
    html = client.get("/care/my-family").get_data(as_text=True)
    assert "reached the end date it named" in html


def test_a_discharge_is_never_named(auth, client, family, sam):
    link_family(family, sam)
    sam.status = "discharged"
    db.session.commit()
    auth.login(family.email)
    html = client.get("/care/my-family").get_data(as_text=True)
    assert "has ended" in html and "discharg" not in html.lower()


def test_nothing_changed_nothing_said(auth, client, family, sam):
    link_family(family, sam)
    auth.login(family.email)
    assert CHANGED not in client.get("/care/my-family").get_data(as_text=True)
    assert NOTE not in client.get("/care/clients/999999").get_data(as_text=True)


def test_a_renewed_consent_is_not_reported_as_ended(auth, client, family, sam):
    old = link_family(family, sam)
    old.consent.revoked_at = utcnow()
    old.ended_at = utcnow()
    old.ended_reason = "revoked"
    db.session.commit()
    link_family(family, sam)
    auth.login(family.email)
    assert CHANGED not in client.get("/care/my-family").get_data(as_text=True)


def test_leaving_a_link_oneself_is_not_reported(auth, client, family, sam):
    link = link_family(family, sam)
    link.ended_at = utcnow()
    link.ended_reason = "left_by_family"
    db.session.commit()
    auth.login(family.email)
    assert CHANGED not in client.get("/care/my-family").get_data(as_text=True)


def test_only_ones_own_ended_links_are_reported(auth, client, family, sam):
    from tests.factories import make_user

    other = make_user(email="other@example.org")
    link = link_family(other, make_client(full_name="Someone Else"))
    link.consent.revoked_at = utcnow()
    db.session.commit()
    auth.login(family.email)
    html = client.get("/care/my-family").get_data(as_text=True)
    assert "Someone Else" not in html and CHANGED not in html


def test_error_page_after_a_consent_ended_points_to_my_family(auth, client, family, sam):
    link = link_family(family, sam)
    link.consent.revoked_at = utcnow()
    db.session.commit()
    auth.login(family.email)
    for path in ("/care/clients/999999", f"/care/clients/{sam.id}"):
        response = client.get(path)
        assert response.status_code in (403, 404)
        html = response.get_data(as_text=True)
        assert NOTE in html and 'href="/care/my-family"' in html
        assert "Sam Rivera" not in html  # the error page names no one
    assert NOTE not in client.get("/care/clients/1", headers={"Accept": "application/json"}).get_data(as_text=True)


def test_every_error_page_offers_a_way_back(auth, client, family):
    html = client.get("/no-such-page").get_data(as_text=True)
    assert 'href="/"' in html and 'href="/auth/login"' in html
    auth.login(family.email)
    response = client.get("/no-such-page", headers={"Referer": "http://localhost/lessons/"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'href="/lessons/"' in html and 'href="/dashboard"' in html
    forbidden = client.get("/admin/users", headers={"Referer": "https://evil.example/x"})
    assert forbidden.status_code == 403
    html = forbidden.get_data(as_text=True)
    assert "evil.example" not in html and "ask your counselor" in html


def test_hostile_referrer_is_never_echoed(auth, client, family):
    auth.login(family.email)
    for referrer in (
        "http://localhost/<script>alert(1)</script>",
        "http://localhost//evil.example",
        "javascript:alert(1)",
    ):
        html = client.get("/no-such-page", headers={"Referer": referrer}).get_data(as_text=True)
        assert "<script>alert" not in html and 'href="//evil' not in html and "javascript:" not in html
