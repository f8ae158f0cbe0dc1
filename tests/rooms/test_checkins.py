"""Private check-ins: staff start them from a message or a crisis item; the member reads and
answers; members can neither start one nor read anyone else's."""

import re

import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.extensions import db
from portal.rooms.models import CheckIn, CheckInPost, CrisisAlert, Notice
from portal.security import Role
from tests.conftest import AuthActions
from tests.rooms.conftest import ack, member, new_id, payloads

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def post(sock, path, data, page="/rooms/"):
    token = CSRF.search(sock.http.get(page).get_data(as_text=True)).group(1)
    return sock.http.post(path, data={"csrf_token": token, **data})


def setup(chat, welcome, body="rough day"):
    author = member(display_name="Sam")
    a = chat.connect(author)
    sent = ack(a, "send", {"room": "welcome", "body": body, "client_id": new_id()})
    message_id = sent["message"]["id"] if sent["ok"] else sent["id"]
    return author, a, message_id


def test_a_moderator_checks_in_and_the_member_answers(app, chat, welcome):
    author, a, message_id = setup(chat, welcome)
    m = chat.connect(member(display_name="Mod", roles=(Role.MODERATOR,)))
    start = f"/rooms/console/checkins/new/{message_id}"
    assert "Checking in — are you safe right now?" in m.http.get(start).get_data(as_text=True)
    response = post(m, start, {"body": "Checking in — are you safe right now? " + XSS}, page=start)
    assert response.status_code == 302
    thread = db.session.scalar(sa.select(CheckIn))
    assert (thread.member_id, thread.message_id) == (author.id, message_id)
    assert "private message" in payloads(a, "notice")[-1]["text"]
    assert db.session.scalar(sa.select(Notice.id).filter_by(user_id=author.id)) is not None
    assert "private conversation with the staff" in a.http.get("/rooms/").get_data(as_text=True)
    page = a.http.get(f"/rooms/checkins/{thread.id}").get_data(as_text=True)
    assert "are you safe right now?" in page and "<script>alert(1)" not in page and "<img src=x" not in page
    path = f"/rooms/checkins/{thread.id}"
    assert post(a, path, {"body": "I'm OK, thank you"}, page=path).status_code == 302
    assert [p.author_id for p in db.session.scalars(sa.select(CheckInPost))][-1] == author.id
    assert "OK, thank you" in m.http.get(path).get_data(as_text=True)
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"checkin.started", "checkin.reply"} <= actions


def test_a_counselor_can_check_in_from_a_crisis_item_which_marks_it_handled(app, chat, welcome):
    author, a, message_id = setup(chat, welcome, body="I want to end my life")
    counselor = member(display_name="Cy", roles=(Role.COUNSELOR,), accepted=False)
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(counselor.email)
    alert = db.session.scalar(sa.select(CrisisAlert))
    assert f"/rooms/console/checkins/new/{message_id}" in client.get(f"/rooms/console/crisis/{alert.id}").get_data(
        as_text=True
    )
    start = f"/rooms/console/checkins/new/{message_id}"
    auth.post(start, {"body": "Checking in"}, page=start)
    db.session.expire_all()
    assert db.session.scalar(sa.select(CheckIn.started_by_id)) == counselor.id
    assert db.session.get(CrisisAlert, alert.id).handled_at is not None


def test_members_cannot_start_threads_or_read_others(app, chat, welcome):
    author, a, message_id = setup(chat, welcome)
    other = chat.connect(member(display_name="Other"))
    start = f"/rooms/console/checkins/new/{message_id}"
    assert other.http.get(start).status_code == 403
    assert post(other, start, {"body": "psst, private"}).status_code == 403
    assert db.session.scalar(sa.select(CheckIn)) is None
    m = chat.connect(member(display_name="Mod", roles=(Role.MODERATOR,)))
    post(m, start, {"body": "Checking in"}, page=start)
    thread = db.session.scalar(sa.select(CheckIn))
    assert other.http.get(f"/rooms/checkins/{thread.id}").status_code == 404
    assert post(other, f"/rooms/checkins/{thread.id}", {"body": "hi"}).status_code == 404
    assert "There are no private messages" in other.http.get("/rooms/checkins").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CheckInPost.id))) == 1


def test_check_ins_refuse_unknown_ids_empty_and_oversized_text(app, chat, welcome):
    author, a, message_id = setup(chat, welcome)
    m = chat.connect(member(display_name="Mod", roles=(Role.MODERATOR,)))
    assert m.http.get("/rooms/console/checkins/new/999999").status_code == 404
    assert m.http.get("/rooms/console/checkins/new/99999999999999").status_code == 404
    assert m.http.get("/rooms/checkins/424242").status_code == 404
    start = f"/rooms/console/checkins/new/{message_id}"
    assert post(m, start, {"body": "x" * 10_000}, page=start).status_code == 422
    assert post(m, start, {"body": "   "}, page=start).status_code == 422
    assert db.session.scalar(sa.select(CheckIn)) is None
    post(m, start, {"body": "Checking in"}, page=start)
    thread = db.session.scalar(sa.select(CheckIn))
    path = f"/rooms/checkins/{thread.id}"
    assert post(a, path, {"body": "y" * 10_000}, page=path).status_code == 422


def test_staff_cannot_open_a_check_in_with_other_staff(app, chat, welcome):
    staff_author = member(display_name="Other mod", roles=(Role.MODERATOR,))
    s = chat.connect(staff_author)
    sent = ack(s, "send", {"room": "welcome", "body": "hello", "client_id": new_id()})["message"]
    m = chat.connect(member(display_name="Mod", roles=(Role.MODERATOR,)))
    start = f"/rooms/console/checkins/new/{sent['id']}"
    assert post(m, start, {"body": "hi"}, page=start).status_code == 422
    assert db.session.scalar(sa.select(CheckIn)) is None
