"""Change password, change email (re-verified at the new address), the sessions list."""

from portal.audit import AuditEvent
from portal.auth.models import SessionRecord, User
from portal.auth.passwords import verify_password
from portal.extensions import db
from tests.auth.helpers import last_link
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "lantern meadow copper violin"


def actions():
    return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def change_password(auth, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return auth.post(
        "/auth/account/password", {"current_password": current, "password": new, "confirm": confirm or new}
    )


def test_change_password_needs_current_and_ends_other_sessions(app, client, auth, outbox):
    user = make_user(email="pat@example.org")
    other = app.test_client()
    other_auth = type(auth)(other)
    other_auth.login("pat@example.org")
    auth.login("pat@example.org")
    response = change_password(auth)
    assert response.status_code == 302
    db.session.expire_all()
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert client.get("/auth/account").status_code == 200  # this browser stays signed in
    assert other.get("/auth/account").status_code == 302  # the other one is signed out
    reasons = {r.revoked_reason for r in db.session.scalars(db.select(SessionRecord))}
    assert reasons == {None, "password_changed"}
    assert "auth.password_changed" in actions()
    assert outbox()[-1]["Subject"] == "Your Family Bridge password was changed"


def test_change_password_with_wrong_current_password_changes_nothing(client, auth):
    user = make_user(email="pat@example.org")
    auth.login("pat@example.org")
    response = change_password(auth, current="not my password at all")
    assert response.status_code == 422
    assert "current password is not right" in response.get_data(as_text=True)
    db.session.expire_all()
    assert verify_password(user.password_hash, PASSWORD)


def test_change_password_applies_the_policy(client, auth):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    assert change_password(auth, new="password1234").status_code == 422
    assert change_password(auth, new=NEW_PASSWORD, confirm="something else entirely").status_code == 422
    assert change_password(auth, new="pat@example.org").status_code == 422


def request_change(auth, email="new@example.org", password=PASSWORD):
    return auth.post("/auth/account/email", {"email": email, "password": password})


def test_change_email_applies_only_when_the_new_address_confirms(client, auth, outbox):
    user = make_user(email="pat@example.org")
    auth.login("pat@example.org")
    response = request_change(auth)
    assert response.status_code == 200
    assert "Check your new email" in response.get_data(as_text=True)
    db.session.expire_all()
    assert user.email == "pat@example.org"  # nothing changes yet
    notice = [m for m in outbox() if m["To"] == "pat@example.org"]
    assert notice and "change of email was requested" in notice[-1]["Subject"]
    link = last_link(outbox, "new@example.org")
    assert link.startswith("/auth/email/")
    assert client.get(link).status_code == 200
    db.session.expire_all()
    assert user.email == "pat@example.org"  # opening the page is not enough
    assert auth.post(link).status_code == 302
    db.session.expire_all()
    assert user.email == "new@example.org"
    assert auth.post(link).status_code == 404  # single use
    assert "user.email_changed" in actions()
    auth.logout()
    assert auth.login("new@example.org").status_code == 302


def test_change_email_needs_the_password(client, auth, outbox):
    make_user(email="pat@example.org")
    auth.login("pat@example.org")
    sent = len(outbox())
    response = request_change(auth, password="not my password at all")
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert len(outbox()) == sent
    response = request_change(auth, email="PAT@example.org")
    assert response.status_code == 422
    assert "already the email of your account" in response.get_data(as_text=True)
    assert len(outbox()) == sent


def test_change_email_to_a_taken_address_looks_the_same_and_sends_nothing_there(client, auth, outbox):
    make_user(email="pat@example.org")
    make_user(email="taken@example.org")
    auth.login("pat@example.org")
    taken = request_change(auth, email="taken@example.org").get_data(as_text=True)
    free = request_change(auth, email="free@example.org").get_data(as_text=True)
    assert "Check your new email" in taken and "Check your new email" in free
    assert [m["To"] for m in outbox() if m["To"] != "pat@example.org"] == ["free@example.org"]


def test_email_change_link_fails_if_the_address_was_taken_meanwhile(client, auth, outbox):
    user = make_user(email="pat@example.org")
    auth.login("pat@example.org")
    request_change(auth)
    link = last_link(outbox, "new@example.org")
    make_user(email="new@example.org")
    assert auth.post(link).status_code == 404
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "pat@example.org"


def test_sessions_page_lists_browsers_and_signs_out_others(app, client, auth):
    make_user(email="pat@example.org")
    other = app.test_client()
    type(auth)(other).login("pat@example.org")
    auth.login("pat@example.org")
    page = client.get("/auth/account/sessions").get_data(as_text=True)
    assert page.count('<li class="card">') == 2
    assert "this browser" in page
    response = auth.post("/auth/account/sessions/end-others")
    assert response.status_code == 302
    assert other.get("/auth/account").status_code == 302
    assert client.get("/auth/account").status_code == 200
    assert "auth.other_sessions_ended" in actions()
    page = client.get("/auth/account/sessions").get_data(as_text=True)
    assert page.count('<li class="card">') == 1


def test_sessions_page_shows_only_your_own(app, client, auth):
    make_user(email="pat@example.org")
    make_user(email="sam@example.org")
    type(auth)(app.test_client()).login("sam@example.org")
    auth.login("pat@example.org")
    page = client.get("/auth/account/sessions").get_data(as_text=True)
    assert page.count('<li class="card">') == 1


def test_account_pages_need_login(client):
    for path in ("/auth/account/password", "/auth/account/email", "/auth/account/sessions", "/auth/mfa/setup"):
        assert client.get(path).status_code == 302, path


def test_sessions_name_the_browser_plainly(app, client, auth):
    make_user(email="pat@example.org")
    phone = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Mobile Safari/537.36"
    )
    token = auth.csrf()
    client.post(
        "/auth/login",
        data={"email": "pat@example.org", "password": PASSWORD, "csrf_token": token},
        headers={"User-Agent": phone},
    )
    page = client.get("/auth/account/sessions").get_data(as_text=True)
    assert "Chrome on Android" in page
    assert (
        "<script"
        not in client.get("/auth/account/sessions", headers={"User-Agent": "<script>x</script>"})
        .get_data(as_text=True)
        .split("<main")[1]
        .split("</main>")[0]
    )
