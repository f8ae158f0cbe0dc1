from portal.auth.models import SessionRecord
from portal.extensions import db
from tests.factories import make_user


def test_login_and_logout_revokes_session(client, auth):
    user = make_user(email="pat@example.org")
    response = auth.login("pat@example.org")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200
    record = db.session.scalar(db.select(SessionRecord).filter_by(user_id=user.id))
    assert record.revoked_at is None
    auth.logout()
    db.session.expire_all()
    assert db.session.get(SessionRecord, record.id).revoked_at is not None
    assert client.get("/dashboard").status_code == 302


def test_wrong_password_and_unknown_account_look_the_same(client, auth):
    make_user(email="pat@example.org")
    wrong = auth.login("pat@example.org", "not the right password").get_data(as_text=True)
    unknown = auth.login("nobody@example.org", "not the right password").get_data(as_text=True)
    assert "do not match" in wrong
    assert "do not match" in unknown
