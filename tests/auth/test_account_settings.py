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


def _session_ids(user):
    db.session.expire_all()
    return {
        r.id: r.revoked_reason
        for r in db.session.scalars(db.select(SessionRecord).filter_by(user_id=user.id).order_by(SessionRecord.id))
    }


def test_sessions_page_shows_device_coarse_place_and_last_activity(app, client, auth):
    make_user(email="pat@example.org")
    token = auth.csrf()
    client.post(
        "/auth/login",
        data={"email": "pat@example.org", "password": PASSWORD, "csrf_token": token},
        headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/604.1"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    page = client.get("/auth/account/sessions", environ_base={"REMOTE_ADDR": "203.0.113.77"}).get_data(as_text=True)
    assert "Safari on iPhone" in page
    assert "203.0.113.…" in page and "203.0.113.77" not in page  # the network, not the address
    assert "Last active" in page


def test_coarse_place(app):
    from portal.auth.names import coarse_place

    with app.test_request_context():
        assert coarse_place("198.51.100.23") == "198.51.100.…"
        assert coarse_place("2001:db8:abcd:12::1") == "2001:db8:abcd:…"
        assert coarse_place(None) == coarse_place("not an address") == "unknown"


def test_one_other_session_can_be_ended(app, client, auth):
    pat = make_user(email="pat@example.org")
    phone, laptop = app.test_client(), app.test_client()
    type(auth)(phone).login("pat@example.org")
    type(auth)(laptop).login("pat@example.org")
    auth.login("pat@example.org")
    phone_id, laptop_id, _mine = _session_ids(pat)
    response = auth.post(f"/auth/account/sessions/{phone_id}/end", page="/auth/account/sessions")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/account/sessions"
    assert phone.get("/auth/account").status_code == 302  # signed out
    assert laptop.get("/auth/account").status_code == 200  # the others stay
    assert client.get("/auth/account").status_code == 200
    assert _session_ids(pat)[phone_id] == "ended_by_user" and _session_ids(pat)[laptop_id] is None
    [event] = db.session.scalars(db.select(AuditEvent).filter_by(action="auth.session_ended")).all()
    assert event.actor_id == pat.id and event.detail == {"session": phone_id}
    page = client.get("/auth/account/sessions").get_data(as_text=True)
    assert page.count('<li class="card">') == 2


def test_ending_another_persons_session_is_404_and_changes_nothing(app, client, auth):
    make_user(email="pat@example.org")
    sam = make_user(email="sam@example.org")
    sams_browser = app.test_client()
    type(auth)(sams_browser).login("sam@example.org")
    auth.login("pat@example.org")
    [sams_session] = _session_ids(sam)
    assert auth.post(f"/auth/account/sessions/{sams_session}/end").status_code == 404
    assert auth.post("/auth/account/sessions/999999/end").status_code == 404
    assert auth.post(f"/auth/account/sessions/{2**40}/end").status_code == 404
    assert sams_browser.get("/auth/account").status_code == 200
    assert _session_ids(sam)[sams_session] is None


def test_ending_a_session_needs_post_csrf_and_sign_in(app, client, auth):
    pat = make_user(email="pat@example.org")
    other = app.test_client()
    type(auth)(other).login("pat@example.org")
    [other_id] = _session_ids(pat)
    assert auth.post(f"/auth/account/sessions/{other_id}/end").status_code == 302  # signed out: to login
    auth.login("pat@example.org")
    assert client.get(f"/auth/account/sessions/{other_id}/end").status_code == 405
    assert client.post(f"/auth/account/sessions/{other_id}/end").status_code == 400  # no CSRF token
    assert other.get("/auth/account").status_code == 200
