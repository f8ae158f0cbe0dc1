"""Moderation over HTTP: each action is recorded, audited, told, and reaches open room pages."""

import re

import pytest
import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.extensions import db
from portal.rooms import moderation
from portal.rooms.errors import RoomError
from portal.rooms.models import Flag, Message, ModerationAction, Notice, RoomRestriction, Suspension
from portal.security import Role
from tests.conftest import AuthActions
from tests.factories import make_user
from tests.rooms.conftest import ack, member, new_id, payloads
from tests.statements import counting

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def moderator_post(sock, path, data):
    page = sock.http.get("/rooms/console").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    return sock.http.post(path, data={"csrf_token": token, **data})


def setup_three(chat, welcome):
    author, reader = member(display_name="Author"), member(display_name="Reader")
    mod = member(display_name="Mod", roles=(Role.MODERATOR,))
    a, r, m = chat.connect(author), chat.connect(reader), chat.connect(mod)
    for sock in (a, r, m):
        ack(sock, "join", {"room": "welcome"})
    sent = ack(a, "send", {"room": "welcome", "body": "something unkind", "client_id": new_id()})["message"]
    return author, a, r, m, sent


def test_hide_removes_the_message_for_every_open_room_page(app, chat, welcome):
    author, a, r, m, sent = setup_three(chat, welcome)
    response = moderator_post(m, f"/rooms/console/messages/{sent['id']}", {"action": "hide", "reason": "unkind"})
    assert response.status_code == 302
    author_events = a.get_received("/chat")
    for sock in (r, m):
        assert payloads(sock, "message_removed") == [{"id": sent["id"], "room": "welcome"}]
    removed = [e["args"][0] for e in author_events if e["name"] == "message_removed"]
    assert removed == [{"id": sent["id"], "room": "welcome"}]
    row = db.session.get(Message, sent["id"])
    assert row.removed_at is not None and row.removed_reason == "unkind"
    action = db.session.scalar(sa.select(ModerationAction))
    assert (action.action, action.reason, action.target_user_id) == ("hide", "unkind", author.id)
    assert db.session.scalar(sa.select(AuditEvent.id).filter_by(action="moderation.hide")) is not None
    notice = db.session.scalar(sa.select(Notice).filter_by(user_id=author.id))
    assert "unkind" in notice.text
    assert [e["args"][0]["text"] for e in author_events if e["name"] == "notice"] == [notice.text]
    assert ack(r, "join", {"room": "welcome"})["messages"] == []


def test_hide_needs_a_reason(app, chat, welcome):
    _, _, _, m, sent = setup_three(chat, welcome)
    moderator_post(m, f"/rooms/console/messages/{sent['id']}", {"action": "hide", "reason": ""})
    assert db.session.get(Message, sent["id"]).removed_at is None


def test_warn_tells_the_person(app, chat, welcome):
    author, a, _, m, sent = setup_three(chat, welcome)
    moderator_post(m, f"/rooms/console/messages/{sent['id']}", {"action": "warn", "reason": "please be gentle"})
    assert "please be gentle" in db.session.scalar(sa.select(Notice.text).filter_by(user_id=author.id))
    assert db.session.get(Message, sent["id"]).removed_at is None


def test_mute_for_a_period_refuses_the_next_send(app, chat, welcome):
    author, a, _, m, sent = setup_three(chat, welcome)
    moderator_post(
        m, f"/rooms/console/messages/{sent['id']}", {"action": "mute", "reason": "cool off", "minutes": "30"}
    )
    row = db.session.scalar(sa.select(RoomRestriction))
    assert row.kind == "mute" and row.until is not None
    reply = ack(a, "send", {"room": "welcome", "body": "again", "client_id": new_id()})
    assert reply["error"] == "muted"


def test_ban_drops_the_person_from_the_room_at_once(app, chat, welcome):
    author, a, r, m, sent = setup_three(chat, welcome)
    moderator_post(m, f"/rooms/console/messages/{sent['id']}", {"action": "ban", "reason": "repeated abuse"})
    assert payloads(a, "access_ended") == [{"room": "welcome"}]
    ack(r, "send", {"room": "welcome", "body": "after the ban", "client_id": new_id()})
    assert [x["body_html"] for x in payloads(a, "message")] == []
    assert ack(a, "join", {"room": "welcome"})["error"] == "banned"


def test_suspend_disconnects_the_persons_sockets(app, chat, welcome):
    author, a, _, m, sent = setup_three(chat, welcome)
    moderator_post(m, f"/rooms/console/messages/{sent['id']}", {"action": "suspend", "reason": "threats"})
    assert not a.is_connected("/chat")
    assert db.session.scalar(sa.select(Suspension.user_id)) == author.id
    again = chat.connect(author)
    assert not again.is_connected("/chat")
    assert again.http.get("/rooms/").status_code == 403


def test_approve_a_held_message_broadcasts_it(app, chat, welcome):
    newcomer = member(established=False)
    n = chat.connect(newcomer)
    r = chat.connect(member())
    ack(r, "join", {"room": "welcome"})
    mod = chat.connect(member(roles=(Role.MODERATOR,)))
    held = ack(n, "send", {"room": "welcome", "body": "hello all", "client_id": new_id()})
    assert held["error"] == "held_for_review"
    assert payloads(mod, "moderation_alert")[-1]["kind"] == "held"
    assert payloads(r, "message") == []
    page = mod.http.get("/rooms/console").get_data(as_text=True)
    assert "hello all" in page and "Held for review" in page
    moderator_post(mod, f"/rooms/console/messages/{held['id']}", {"action": "approve", "reason": ""})
    assert [x["id"] for x in payloads(r, "message")] == [held["id"]]
    assert db.session.get(Message, held["id"]).status == "visible"


def test_dismiss_a_flag(app, chat, welcome):
    _, _, r, m, sent = setup_three(chat, welcome)
    ack(r, "flag", {"message_id": sent["id"], "reason": "spam?"})
    flag = db.session.scalar(sa.select(Flag))
    moderator_post(m, f"/rooms/console/flags/{flag.id}/dismiss", {})
    db.session.refresh(flag)
    assert flag.resolution == "dismissed"


def test_console_lists_crisis_alerts_first(app, chat, welcome):
    _, a, r, m, sent = setup_three(chat, welcome)
    ack(r, "flag", {"message_id": sent["id"], "reason": "rude"})
    ack(a, "send", {"room": "welcome", "body": "I want to end my life", "client_id": new_id()})
    page = m.http.get("/rooms/console").get_data(as_text=True)
    assert page.index("Crisis alert") < page.index("Flagged by")


def test_moderator_actions_are_refused_to_members(app, chat, welcome):
    author, a, r, m, sent = setup_three(chat, welcome)
    for path, data in [
        (f"/rooms/console/messages/{sent['id']}", {"action": "hide", "reason": "x"}),
        ("/rooms/console/words", {"phrase": "x", "action": "block"}),
        ("/rooms/console/rooms", {"slug": "x", "name": "x", "kind": "all_families"}),
        ("/rooms/console/rooms/welcome", {"name": "Hacked"}),
        (f"/rooms/console/suspensions/{author.id}/lift", {}),
    ]:
        token = CSRF.search(r.http.get("/rooms/").get_data(as_text=True)).group(1)
        assert r.http.post(path, data={"csrf_token": token, **data}).status_code == 403
    assert r.http.get("/rooms/console").status_code == 403
    assert db.session.get(Message, sent["id"]).removed_at is None
    assert welcome.name == "Welcome"


def test_unknown_ids_are_404(app, chat, welcome):
    m = chat.connect(member(roles=(Role.MODERATOR,)))
    assert moderator_post(m, "/rooms/console/messages/999999", {"action": "hide", "reason": "x"}).status_code == 404
    assert moderator_post(m, "/rooms/console/flags/999999/dismiss", {}).status_code == 404
    assert m.http.get("/rooms/console/rooms/nope").status_code == 404


def test_room_settings_broadcast_room_updated(app, chat, welcome):
    mod = chat.connect(member(roles=(Role.MODERATOR,)))
    reader = chat.connect(member())
    ack(reader, "join", {"room": "welcome"})
    response = moderator_post(
        mod,
        "/rooms/console/rooms/welcome",
        {"name": "Welcome", "description": "Say *hello*", "locked": "y", "slow_mode_seconds": "20"},
    )
    assert response.status_code == 302
    updates = payloads(reader, "room_updated")
    assert updates[-1]["room"] == "welcome" and updates[-1]["locked"] is True
    assert updates[-1]["slow_mode_seconds"] == 20
    assert ack(reader, "send", {"room": "welcome", "body": "hi", "client_id": new_id()})["error"] == "locked"
    assert "<em>hello</em>" in welcome.description_html


def test_create_room_and_watched_words(app, chat, welcome):
    from portal.rooms.models import Room, WatchedWord

    mod = chat.connect(member(roles=(Role.MODERATOR,)))
    moderator_post(
        mod,
        "/rooms/console/rooms",
        {"slug": "grandparents", "name": "Grandparents", "description": "", "kind": "all_families", "program_id": "0"},
    )
    assert db.session.scalar(sa.select(Room).filter_by(slug="grandparents")) is not None
    assert (
        moderator_post(
            mod, "/rooms/console/rooms", {"slug": "Bad Slug!", "name": "x", "kind": "all_families", "program_id": "0"}
        ).status_code
        == 422
    )
    moderator_post(mod, "/rooms/console/words", {"phrase": "  Cash   App ", "action": "block"})
    word = db.session.scalar(sa.select(WatchedWord))
    assert (word.phrase, word.action) == ("cash app", "block")
    sock = chat.connect(member())
    assert (
        ack(sock, "send", {"room": "welcome", "body": "send it by cash app", "client_id": new_id()})["error"]
        == "blocked"
    )
    moderator_post(mod, f"/rooms/console/words/{word.id}/delete", {})
    assert db.session.scalar(sa.select(WatchedWord)) is None


def test_watched_words_apply_to_display_names(app, chat, welcome):
    from portal.rooms.models import WatchedWord

    db.session.add(WatchedWord(phrase="spammer", action="block"))
    db.session.commit()
    rude = member(display_name="Big Spammer")
    sent = ack(chat.connect(rude), "send", {"room": "welcome", "body": "hi", "client_id": new_id()})
    assert sent["message"]["author"]["display_name"] == f"Member {rude.id}"


def test_a_display_name_matching_a_hold_word_is_queued_once(app, chat, welcome):
    from portal.rooms.models import WatchedWord

    db.session.add(WatchedWord(phrase="free money", action="hold"))
    db.session.commit()
    mod = chat.connect(member(roles=(Role.MODERATOR,)))
    person = member(display_name="Free Money Guy")
    chat.connect(person)
    chat.connect(person)
    flags = db.session.scalars(sa.select(Flag).filter_by(kind="name")).all()
    assert [f.subject_user_id for f in flags] == [person.id]
    assert [a["kind"] for a in payloads(mod, "moderation_alert")] == ["name"]
    assert "Free Money Guy" in mod.http.get("/rooms/console").get_data(as_text=True)
    flag_id = db.session.scalar(sa.select(Flag.id).filter_by(kind="name"))
    moderator_post(
        mod, f"/rooms/console/people/{person.id}", {"action": "warn", "reason": "Please choose another display name"}
    )
    assert "another display name" in db.session.scalar(sa.select(Notice.text).filter_by(user_id=person.id))
    moderator_post(mod, f"/rooms/console/flags/{flag_id}/dismiss", {})
    assert db.session.get(Flag, flag_id).resolved_at is not None


def _form_for(page, action):
    start = page.index(f'action="{action}"')
    return page[start : page.index("</form>", start)]


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.COUNSELOR, Role.ADMIN])
def test_a_moderator_cannot_suspend_staff(app, chat, welcome, role):
    staff = make_user(roles=(role,))
    staff_http = app.test_client()
    AuthActions(staff_http).login(staff.email)
    moderator = member(roles=(Role.MODERATOR,))
    m = chat.connect(moderator)
    response = moderator_post(m, f"/rooms/console/people/{staff.id}", {"action": "suspend", "reason": "x"})
    assert response.status_code == 302
    page = m.http.get("/rooms/console").get_data(as_text=True)
    assert "Only an administrator can suspend a staff account" in page
    assert db.session.scalar(sa.select(Suspension)) is None
    assert db.session.scalar(sa.select(ModerationAction)) is None
    assert staff_http.get("/auth/account").status_code == 200  # still signed in
    with pytest.raises(RoomError) as refused:
        moderation.suspend_user(moderator, staff, "x")
    assert refused.value.code == "admin_only"


def test_a_moderator_cannot_suspend_a_staff_author_from_the_queue(app, chat, welcome):
    staff_author = member(display_name="Other mod", roles=(Role.MODERATOR,))
    s = chat.connect(staff_author)
    ack(s, "join", {"room": "welcome"})
    family = member(display_name="Family")
    f = chat.connect(family)
    ack(f, "join", {"room": "welcome"})
    by_staff = ack(s, "send", {"room": "welcome", "body": "staff words", "client_id": new_id()})["message"]
    by_family = ack(f, "send", {"room": "welcome", "body": "family words", "client_id": new_id()})["message"]
    m = chat.connect(member(roles=(Role.MODERATOR,)))
    for sent in (by_staff, by_family):
        ack(f, "flag", {"message_id": sent["id"], "reason": "check"})
    page = m.http.get("/rooms/console").get_data(as_text=True)
    assert 'value="suspend"' not in _form_for(page, f"/rooms/console/messages/{by_staff['id']}")
    assert 'value="suspend"' in _form_for(page, f"/rooms/console/messages/{by_family['id']}")
    moderator_post(m, f"/rooms/console/messages/{by_staff['id']}", {"action": "suspend", "reason": "x"})
    assert s.is_connected("/chat")
    assert db.session.scalar(sa.select(Suspension)) is None
    assert "Only an administrator" in m.http.get("/rooms/console").get_data(as_text=True)


def test_a_moderator_cannot_lift_a_staff_suspension(app, chat, welcome):
    admin = make_user(roles=(Role.ADMIN,))
    staff = make_user(roles=(Role.MODERATOR,))
    with app.test_request_context():
        moderation.suspend_user(admin, staff, "admin's call")
    m = chat.connect(member(roles=(Role.MODERATOR,)))
    page = m.http.get("/rooms/console").get_data(as_text=True)
    assert f"/rooms/console/suspensions/{staff.id}/lift" not in page
    moderator_post(m, f"/rooms/console/suspensions/{staff.id}/lift", {})
    assert db.session.scalar(sa.select(Suspension.lifted_at)) is None


def test_an_admin_can_suspend_staff(app, chat, welcome):
    staff = make_user(roles=(Role.MODERATOR,))
    staff_http = app.test_client()
    AuthActions(staff_http).login(staff.email)
    admin = chat.connect(make_user(roles=(Role.ADMIN,)))
    moderator_post(admin, f"/rooms/console/people/{staff.id}", {"action": "suspend", "reason": "misuse"})
    assert db.session.scalar(sa.select(Suspension.user_id)) == staff.id
    assert db.session.scalar(sa.select(AuditEvent.object_id).filter_by(action="moderation.suspend")) == str(staff.id)
    assert staff_http.get("/auth/account").status_code == 302  # signed out everywhere


def test_the_invite_form_answers_the_same_whether_or_not_the_email_has_an_account(app, chat, welcome):
    from portal.rooms.models import RoomKind, RoomMember
    from tests.rooms.conftest import make_room

    circle = make_room("circle", kind=RoomKind.INVITE_ONLY)
    known = member(email="known@example.org", display_name="Known Person")
    m = chat.connect(member(roles=(Role.MODERATOR,)))
    answers = []
    for email in ("known@example.org", "nobody@example.org"):
        response = moderator_post(m, "/rooms/console/rooms/circle/invite", {"email": email})
        page = m.http.get(response.headers["Location"]).get_data(as_text=True)
        flashed = re.findall(r'<p class="flash flash-(\w+)">(.*?)</p>', page, re.S)
        # a CSRF token carries the second it was made in: two pages a second apart differ there
        page = re.sub(r'(csrf[-_]token"[^>]*?(?:content|value)=")[^"]+"', r'\1…"', page)
        answers.append((response.status_code, response.headers["Location"], flashed, page))
    assert answers[0] == answers[1]
    assert answers[0][2] == [("success", "If an account uses that email address, its owner can now join this room.")]
    assert "Known Person" not in answers[0][3]
    members = db.session.scalars(sa.select(RoomMember.user_id).filter_by(room_id=circle.id)).all()
    assert members == [known.id]


# --- moderation inside the room: the message's own page (its menu's link) ------------------------

XSS = "<img src=x onerror=alert(1)>"


def test_a_moderator_moderates_from_the_messages_page_in_the_room_and_sees_the_authors_history(app, chat, welcome):
    author, a, r, m, sent = setup_three(chat, welcome)
    earlier = ack(a, "send", {"room": "welcome", "body": "an earlier " + XSS, "client_id": new_id()})["message"]
    moderator_post(m, f"/rooms/console/messages/{earlier['id']}", {"action": "warn", "reason": "Be kind " + XSS})
    path = f"/rooms/welcome/messages/{sent['id']}"
    page = m.http.get(path).get_data(as_text=True)
    assert f'action="/rooms/console/messages/{sent["id"]}"' in page
    assert 'name="next" value="/rooms/welcome"' in page
    for choice in ("hide", "mute", "ban"):
        assert f'<option value="{choice}"' in page
    history = page[page.index('id="history-heading"') :]
    assert "something unkind" in history and "an earlier" in history
    assert "Be kind" in history and XSS not in page  # the author's text and the reason, escaped

    token = CSRF.search(page).group(1)
    data = {"csrf_token": token, "action": "ban", "reason": "Repeated", "next": "/rooms/welcome"}
    done = m.http.post(f"/rooms/console/messages/{sent['id']}", data=data)
    assert done.status_code == 302 and done.headers["Location"] == "/rooms/welcome"  # back in the room
    assert db.session.scalar(sa.select(RoomRestriction).filter_by(user_id=author.id, kind="ban")) is not None
    again = m.http.get(path).get_data(as_text=True)
    assert "Repeated" in again[again.index('id="history-heading"') :]


def test_the_messages_page_offers_no_moderation_to_members_and_next_never_leaves_the_site(app, chat, welcome):
    author, a, r, m, sent = setup_three(chat, welcome)
    page = r.http.get(f"/rooms/welcome/messages/{sent['id']}").get_data(as_text=True)
    assert "moderate-form" not in page and 'id="history-heading"' not in page
    token = CSRF.search(m.http.get("/rooms/console").get_data(as_text=True)).group(1)
    for hostile in ("https://evil.example/", "//evil.example/", "x" * 10_000):
        done = m.http.post(
            f"/rooms/console/messages/{sent['id']}",
            data={"csrf_token": token, "action": "warn", "reason": "note", "next": hostile},
        )
        assert done.status_code == 302 and done.headers["Location"] == "/rooms/console"


def test_a_family_member_cannot_release_a_held_post(app, chat, welcome):
    author, a, r, m, sent = setup_three(chat, welcome)
    held = ack(a, "send", {"room": "welcome", "body": "I don't want to live anymore", "client_id": new_id()})
    token = CSRF.search(r.http.get("/rooms/").get_data(as_text=True)).group(1)
    path = f"/rooms/console/messages/{held['id']}"
    assert (
        r.http.post(path, data={"csrf_token": token, "action": "approve", "next": "/rooms/welcome"}).status_code == 403
    )
    assert db.session.get(Message, held["id"]).is_held
    assert payloads(r, "message") == [] or all(p["id"] != held["id"] for p in payloads(r, "message"))


def test_a_persons_actions_come_with_their_moderators(app):
    """The history on a message's page and the console name who acted: the moderators are read
    with the actions, not one user (and its roles) per moderator."""
    target = member(display_name="Target")
    for n in range(3):
        mod = member(display_name=f"Mod {n}", roles=(Role.MODERATOR,))
        db.session.add(ModerationAction(moderator_id=mod.id, target_user_id=target.id, action="warn", reason="x"))
    db.session.commit()
    target_id = target.id
    db.session.remove()  # a request's own session: nobody loaded yet
    target = db.session.get(type(target), target_id)
    with counting() as statements:
        names = [a.moderator.display_name for a in moderation.recent_actions(20, about=target)]
    assert sorted(names) == ["Mod 0", "Mod 1", "Mod 2"]
    assert len(statements) <= 2, statements  # the actions with their moderators, the moderators' roles (was 7)
