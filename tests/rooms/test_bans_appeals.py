"""Ban list, lifting early, appeals (one per sanction, their own queue), a banned room explained
instead of a bare 403, and acting on a person settling the open flags about them."""

import re

import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.extensions import db
from portal.rooms import moderation
from portal.rooms.models import Appeal, Flag, ModerationAction, Notice, RoomRestriction, Suspension
from portal.security import Role
from tests.rooms.conftest import ack, make_room, member, new_id

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def post(sock, path, data, page="/rooms/"):
    token = CSRF.search(sock.http.get(page).get_data(as_text=True)).group(1)
    return sock.http.post(path, data={"csrf_token": token, **data})


def direct(fn, *args, **kwargs):
    """Call a moderation service as a view would (inside a request, for its translations)."""
    from flask import current_app

    with current_app.test_request_context():
        return fn(*args, **kwargs)


def ban(chat, welcome, reason="unkind words", minutes=None):
    person, mod = member(display_name="Pat"), member(display_name="Mod", roles=(Role.MODERATOR,))
    p, m = chat.connect(person), chat.connect(mod)
    direct(moderation.restrict_user, mod, person, welcome, "ban", reason, minutes=minutes)
    return person, p, mod, m, db.session.scalar(sa.select(RoomRestriction))


def test_a_banned_room_is_not_listed_and_opening_it_explains_the_ban(app, chat, welcome):
    make_room("second", name="Second room")
    person, p, _, _, row = ban(chat, welcome)
    index = p.http.get("/rooms/").get_data(as_text=True)
    assert 'href="/rooms/welcome"' not in index and 'href="/rooms/second"' in index
    response = p.http.get("/rooms/welcome")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "A moderator removed you from this room." in page and "unkind words" in page
    assert f'href="/rooms/appeal/ban/{row.id}"' in page


def test_one_appeal_per_ban_then_the_appeals_queue_lifts_it(app, chat, welcome):
    person, p, mod, m, row = ban(chat, welcome)
    path = f"/rooms/appeal/ban/{row.id}"
    assert post(p, path, {"reason": "I was quoting someone " + XSS}, page=path).status_code == 302
    again = post(p, path, {"reason": "second try"}, page=path)
    assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 1
    assert again.status_code in (200, 302)
    appeal = db.session.scalar(sa.select(Appeal))
    assert appeal.reason.startswith("I was quoting") and appeal.kind == "ban"
    assert db.session.scalar(sa.select(AuditEvent.id).filter_by(action="moderation.appeal")) is not None
    assert "Your appeal was sent" in p.http.get("/rooms/welcome").get_data(as_text=True)
    queue = m.http.get("/rooms/console/appeals").get_data(as_text=True)
    assert "I was quoting someone" in queue and "<script>alert" not in queue and "&lt;script&gt;" in queue
    assert (
        post(
            m,
            f"/rooms/console/appeals/{appeal.id}",
            {"decision": "lift", "response": "Thanks"},
            page="/rooms/console/appeals",
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(RoomRestriction, row.id).lifted_at is not None
    assert db.session.get(Appeal, appeal.id).outcome == "lifted"
    assert ack(p, "join", {"room": "welcome"})["ok"] is True
    assert "No appeals are waiting" in m.http.get("/rooms/console/appeals").get_data(as_text=True)


def test_an_upheld_appeal_keeps_the_ban_and_tells_the_person(app, chat, welcome):
    person, p, mod, m, row = ban(chat, welcome)
    post(p, f"/rooms/appeal/ban/{row.id}", {"reason": "please"}, page=f"/rooms/appeal/ban/{row.id}")
    appeal = db.session.scalar(sa.select(Appeal))
    post(
        m,
        f"/rooms/console/appeals/{appeal.id}",
        {"decision": "uphold", "response": "Not yet"},
        page="/rooms/console/appeals",
    )
    db.session.expire_all()
    assert db.session.get(RoomRestriction, row.id).is_active()
    assert "decision stays" in db.session.scalars(sa.select(Notice.text).filter_by(user_id=person.id)).all()[-1]


def test_the_ban_list_shows_reason_who_when_until_and_lifts_early(app, chat, welcome):
    person, p, mod, m, row = ban(chat, welcome, minutes=60)
    page = m.http.get("/rooms/console/rooms/welcome/sanctions").get_data(as_text=True)
    assert "Pat" in page and "unkind words" in page and "Mod" in page and "<time" in page
    post(m, f"/rooms/console/restrictions/{row.id}/lift", {}, page="/rooms/console/rooms/welcome/sanctions")
    db.session.expire_all()
    assert db.session.get(RoomRestriction, row.id).lifted_at is not None
    assert db.session.scalar(sa.select(ModerationAction.id).filter_by(action="lift_ban")) is not None
    assert 'href="/rooms/welcome"' in p.http.get("/rooms/").get_data(as_text=True)


def test_a_mute_can_be_lifted_early_and_appealed_from_the_room(app, chat, welcome):
    person, mod = member(display_name="Pat"), member(display_name="Mod", roles=(Role.MODERATOR,))
    p, m = chat.connect(person), chat.connect(mod)
    direct(moderation.restrict_user, mod, person, welcome, "mute", "too many posts", minutes=30)
    row = db.session.scalar(sa.select(RoomRestriction))
    assert f"/rooms/appeal/mute/{row.id}" in p.http.get("/rooms/welcome").get_data(as_text=True)
    post(m, f"/rooms/console/restrictions/{row.id}/lift", {}, page="/rooms/console/rooms/welcome/sanctions")
    assert ack(p, "send", {"room": "welcome", "body": "back", "client_id": new_id()})["ok"] is True


def test_a_suspended_person_can_appeal(app, chat, welcome):
    person, mod = member(display_name="Pat"), member(display_name="Admin", roles=(Role.ADMIN,))
    direct(moderation.suspend_user, mod, person, "spam")
    row = db.session.scalar(sa.select(Suspension))
    from tests.conftest import AuthActions

    client = app.test_client()
    AuthActions(client).login(person.email)
    page = client.get("/rooms/").get_data(as_text=True)
    assert f"/rooms/appeal/suspension/{row.id}" in page
    token = CSRF.search(client.get(f"/rooms/appeal/suspension/{row.id}").get_data(as_text=True)).group(1)
    client.post(f"/rooms/appeal/suspension/{row.id}", data={"csrf_token": token, "reason": "sorry"})
    assert db.session.scalar(sa.select(Appeal.kind)) == "suspension"


def test_appeals_refuse_other_peoples_sanctions_unknown_ids_and_oversized_reasons(app, chat, welcome):
    person, p, mod, m, row = ban(chat, welcome)
    other = chat.connect(member(display_name="Other"))
    assert other.http.get(f"/rooms/appeal/ban/{row.id}").status_code == 404
    for path in (
        "/rooms/appeal/ban/999999",
        "/rooms/appeal/mute/" + str(row.id),
        "/rooms/appeal/nope/1",
        "/rooms/appeal/ban/99999999999999999999",
    ):
        assert p.http.get(path).status_code == 404
    response = post(p, f"/rooms/appeal/ban/{row.id}", {"reason": "x" * 10_000}, page=f"/rooms/appeal/ban/{row.id}")
    assert response.status_code == 422
    response = post(p, f"/rooms/appeal/ban/{row.id}", {"reason": "   "}, page=f"/rooms/appeal/ban/{row.id}")
    assert response.status_code == 422
    assert db.session.scalar(sa.select(Appeal)) is None


def test_members_cannot_use_the_ban_list_or_the_appeals_queue(app, chat, welcome):
    person, p, mod, m, row = ban(chat, welcome)
    family = chat.connect(member(display_name="Fam"))
    assert family.http.get("/rooms/console/appeals").status_code == 403
    assert family.http.get("/rooms/console/rooms/welcome/sanctions").status_code == 403
    assert post(family, f"/rooms/console/restrictions/{row.id}/lift", {}).status_code == 403
    assert post(family, "/rooms/console/appeals/1", {"decision": "lift"}).status_code == 403
    assert db.session.get(RoomRestriction, row.id).lifted_at is None
    assert post(m, "/rooms/console/restrictions/99999999999/lift", {}, page="/rooms/console").status_code == 404
    assert post(m, "/rooms/console/appeals/424242", {"decision": "lift"}, page="/rooms/console").status_code == 404


def test_a_moderator_cannot_lift_a_staff_suspension_through_an_appeal(app, chat, welcome):
    staff = member(display_name="Staffer", roles=(Role.MODERATOR,))
    admin = member(display_name="Boss", roles=(Role.ADMIN,))
    direct(moderation.suspend_user, admin, staff, "x")
    row = db.session.scalar(sa.select(Suspension))
    db.session.add(Appeal(user_id=staff.id, kind="suspension", sanction_id=row.id, reason="please"))
    db.session.commit()
    m = chat.connect(member(display_name="Mod", roles=(Role.MODERATOR,)))
    appeal_id = db.session.scalar(sa.select(Appeal.id))
    post(m, f"/rooms/console/appeals/{appeal_id}", {"decision": "lift"}, page="/rooms/console/appeals")
    db.session.expire_all()
    assert db.session.get(Suspension, row.id).lifted_at is None


def test_acting_on_a_person_resolves_every_open_flag_about_their_messages(app, chat, welcome):
    author, reader = member(display_name="Author"), member(display_name="Reader")
    mod = member(display_name="Mod", roles=(Role.MODERATOR,))
    a, r = chat.connect(author), chat.connect(reader)
    ack(r, "join", {"room": "welcome"})
    ids = [
        ack(a, "send", {"room": "welcome", "body": f"rude {n}", "client_id": new_id()})["message"]["id"]
        for n in range(3)
    ]
    for message_id in ids:
        ack(r, "flag", {"message_id": message_id, "reason": "unkind"})
    other = ack(r, "send", {"room": "welcome", "body": "mine", "client_id": new_id()})["message"]["id"]
    ack(a, "flag", {"message_id": other, "reason": "check"})
    direct(moderation.restrict_user, mod, author, welcome, "ban", "repeated")
    open_flags = db.session.scalars(sa.select(Flag).filter_by(resolved_at=None)).all()
    assert [f.message_id for f in open_flags] == [other]
    assert {f.resolution for f in db.session.scalars(sa.select(Flag).where(Flag.message_id.in_(ids)))} == {"ban"}
