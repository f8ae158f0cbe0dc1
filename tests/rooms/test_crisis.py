"""Crisis escalation: a crisis post is held for staff, everyone on call is alerted at once by a
neutral email (the durable mail queue) and live, unhandled items escalate to the next backup,
releasing shows the post to the room; every step is audited; members are refused everything."""

import re
from datetime import timedelta

import sqlalchemy as sa

from portal import upkeep
from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.extensions import db
from portal.rooms import crisis
from portal.rooms.models import CrisisAlert, Message, OnCall, RoomKind
from portal.security import Role
from tests.factories import link_family, make_client, make_program, make_user
from tests.rooms.conftest import ack, make_room, member, new_id, payloads

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CRISIS = "I don't want to live anymore"


def post(sock, path, data, page="/rooms/"):
    token = CSRF.search(sock.http.get(page).get_data(as_text=True)).group(1)
    return sock.http.post(path, data={"csrf_token": token, **data})


def put_on_call(user, program=None, backup=False, position=0):
    db.session.add(
        OnCall(user_id=user.id, program_id=program.id if program else None, backup=backup, position=position)
    )
    db.session.commit()
    return user


def staff(name, role=Role.MODERATOR, locale="en"):
    user = member(display_name=name, roles=(role,))
    user.locale = locale
    db.session.commit()
    return user


def recipients(mails):
    return sorted(m["To"] for m in mails)


def test_a_crisis_post_is_held_and_everyone_on_call_is_alerted_at_once(app, chat, welcome, outbox):
    first, second = put_on_call(staff("Mo")), put_on_call(staff("Cy", Role.COUNSELOR))
    backup = put_on_call(staff("Bo"), backup=True)
    author, reader = member(display_name="Sam"), member(display_name="Reader")
    a, r = chat.connect(author), chat.connect(reader)
    ack(r, "join", {"room": "welcome"})
    reply = ack(a, "send", {"room": "welcome", "body": CRISIS, "client_id": new_id()})
    assert reply["error"] == "held_for_review" and reply["crisis"] is True
    assert payloads(a, "held")[-1]["crisis"] is True
    assert [e for e in r.get_received("/chat") if e["name"] == "message"] == []
    for joined in (
        ack(r, "join", {"room": "welcome", "after_id": None}),
        ack(r, "join", {"room": "welcome", "after_id": 0}),
    ):
        assert joined["messages"] == []
    assert ack(r, "history", {"room": "welcome", "before_id": 10**6})["messages"] == []
    assert CRISIS not in r.http.get("/rooms/welcome").get_data(as_text=True)
    mails = outbox()
    assert recipients(mails) == sorted([first.email, second.email])
    alert = db.session.scalar(sa.select(CrisisAlert))
    for mail in mails:
        text = mail.get_body(("plain",)).get_content()
        assert f"/rooms/console/crisis/{alert.id}" in text
        assert "live anymore" not in text and "Sam" not in text and "Welcome" not in text  # neutral
    assert backup.email not in recipients(mails)
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="crisis.alerted"))
    assert sorted(event.detail["alerted_user_ids"]) == sorted([first.id, second.id])


def test_program_rooms_alert_that_programs_list(app, chat, outbox):
    program = make_program()
    room = make_room("evening", kind=RoomKind.PROGRAM, program=program)
    public_only = put_on_call(staff("Pub"))
    program_staff = put_on_call(staff("Prog"), program=program)
    author = member(display_name="Fam")
    link_family(author, make_client(program=program))
    a = chat.connect(author)
    ack(a, "send", {"room": room.slug, "body": CRISIS, "client_id": new_id()})
    assert recipients(outbox()) == [program_staff.email]
    assert public_only.email


def test_with_no_one_on_call_every_moderator_and_admin_is_alerted(app, chat, welcome, outbox):
    mod, admin = staff("Mod"), staff("Adm", Role.ADMIN)
    a = chat.connect(member())
    ack(a, "send", {"room": "welcome", "body": CRISIS, "client_id": new_id()})
    assert recipients(outbox()) == sorted([mod.email, admin.email])


def test_an_unhandled_alert_escalates_to_the_next_backup_once_per_interval(app, chat, welcome, outbox):
    put_on_call(staff("First"))
    b1 = put_on_call(staff("Backup1"), backup=True, position=1)
    b2 = put_on_call(staff("Backup2"), backup=True, position=2)
    a = chat.connect(member())
    ack(a, "send", {"room": "welcome", "body": CRISIS, "client_id": new_id()})
    outbox()
    start = db.session.scalar(sa.select(CrisisAlert.last_alert_at))
    assert crisis.escalate_due(start + timedelta(minutes=9)) == 0
    assert crisis.escalate_due(start + timedelta(minutes=10)) == 1
    assert crisis.escalate_due(start + timedelta(minutes=10)) == 0  # idempotent
    assert recipients(outbox()[-1:]) == [b1.email]
    assert crisis.escalate_due(start + timedelta(minutes=20)) == 1
    assert outbox()[-1]["To"] == b2.email
    assert crisis.escalate_due(start + timedelta(minutes=60)) == 0  # no one left: it stays on top of the console
    steps = db.session.scalars(sa.select(AuditEvent).filter_by(action="crisis.escalated")).all()
    assert [e.detail["step"] for e in steps] == [1, 2]


def test_the_escalation_interval_is_configurable_and_runs_from_upkeep(app, chat, welcome, outbox):
    app.config["CRISIS_ESCALATION_MINUTES"] = 0
    put_on_call(staff("First"))
    b1 = put_on_call(staff("Backup1"), backup=True)
    a = chat.connect(member())
    ack(a, "send", {"room": "welcome", "body": CRISIS, "client_id": new_id()})
    upkeep.run_once(app)
    assert outbox()[-1]["To"] == b1.email


def test_releasing_shows_the_post_and_stops_the_escalation(app, chat, welcome, outbox):
    put_on_call(staff("First"))
    put_on_call(staff("Backup1"), backup=True)
    mod = staff("Mod")
    author, reader = member(display_name="Sam"), member(display_name="Reader")
    a, r, m = chat.connect(author), chat.connect(reader), chat.connect(mod)
    ack(r, "join", {"room": "welcome"})
    reply = ack(a, "send", {"room": "welcome", "body": CRISIS, "client_id": new_id()})
    alert = db.session.scalar(sa.select(CrisisAlert))
    page = m.http.get(f"/rooms/console/crisis/{alert.id}").get_data(as_text=True)
    assert "live anymore" in page and "Not handled yet" in page
    post(m, f"/rooms/console/messages/{reply['id']}", {"action": "approve"}, page="/rooms/console")
    assert [x["id"] for x in payloads(r, "message")] == [reply["id"]]
    db.session.expire_all()
    assert db.session.get(CrisisAlert, alert.id).handled_at is not None
    assert crisis.escalate_due(utcnow() + timedelta(hours=1)) == 0
    assert db.session.scalar(sa.select(AuditEvent.detail).filter_by(action="crisis.handled")) == {"how": "released"}


def test_a_counselor_on_call_can_open_the_item_and_take_it(app, chat, welcome, outbox):
    counselor = put_on_call(staff("Cy", Role.COUNSELOR))
    a = chat.connect(member())
    ack(a, "send", {"room": "welcome", "body": CRISIS, "client_id": new_id()})
    alert = db.session.scalar(sa.select(CrisisAlert))
    from tests.conftest import AuthActions

    client = app.test_client()
    auth = AuthActions(client)
    auth.login(counselor.email)
    assert client.get(f"/rooms/console/crisis/{alert.id}").status_code == 200
    auth.post(f"/rooms/console/crisis/{alert.id}/handled", page=f"/rooms/console/crisis/{alert.id}")
    db.session.expire_all()
    assert db.session.get(CrisisAlert, alert.id).handled_by_id == counselor.id


def test_members_cannot_see_held_posts_release_them_or_manage_on_call(app, chat, welcome, outbox):
    a = chat.connect(member())
    reply = ack(a, "send", {"room": "welcome", "body": CRISIS, "client_id": new_id()})
    alert = db.session.scalar(sa.select(CrisisAlert))
    family = chat.connect(member(display_name="Fam"))
    assert family.http.get(f"/rooms/console/crisis/{alert.id}").status_code == 403
    assert post(family, f"/rooms/console/crisis/{alert.id}/handled", {}).status_code == 403
    assert post(family, f"/rooms/console/messages/{reply['id']}", {"action": "approve"}).status_code == 403
    assert family.http.get("/rooms/console/on-call").status_code == 403
    assert post(family, "/rooms/console/on-call", {"email": "x@example.org", "program_id": 0}).status_code == 403
    assert db.session.get(Message, reply["id"]).is_held
    assert db.session.get(CrisisAlert, alert.id).handled_at is None
    m = chat.connect(staff("Mod"))
    assert m.http.get("/rooms/console/crisis/999999").status_code == 404
    assert m.http.get("/rooms/console/crisis/99999999999999").status_code == 404


def test_the_on_call_page_adds_only_staff_and_refuses_bad_input(app, chat, welcome):
    mod = staff("Mod")
    m = chat.connect(mod)
    family = make_user(email="fam@example.org")
    other_staff = make_user(email="cy@example.org", roles=(Role.COUNSELOR,))
    page = "/rooms/console/on-call"
    assert post(m, page, {"email": family.email, "program_id": 0}, page=page).status_code == 422
    assert post(m, page, {"email": "<script>@x", "program_id": 0}, page=page).status_code == 422
    assert post(m, page, {"email": other_staff.email, "program_id": 424242}, page=page).status_code == 422
    assert post(m, page, {"email": "a" * 10_000, "program_id": 0}, page=page).status_code == 422
    assert (
        post(
            m, page, {"email": other_staff.email, "program_id": 0, "backup": "y", "position": 2}, page=page
        ).status_code
        == 302
    )
    row = db.session.scalar(sa.select(OnCall))
    assert (row.user_id, row.backup, row.position, row.program_id) == (other_staff.id, True, 2, None)
    assert post(m, f"/rooms/console/on-call/{row.id}/remove", {}, page=page).status_code == 302
    assert db.session.scalar(sa.select(OnCall)) is None


def test_the_email_is_in_the_on_call_persons_language(app, chat, welcome, outbox):
    put_on_call(staff("Mo", locale="es"))
    a = chat.connect(member())
    ack(a, "send", {"room": "welcome", "body": CRISIS, "client_id": new_id()})
    [mail] = outbox()
    assert mail["Subject"]  # translated when the catalogue has it; never the post
    assert "live" not in mail["Subject"]


def test_a_resent_crisis_post_is_answered_exactly_as_the_first_send(app, chat, welcome, outbox):
    """After a lost ack the page sends again with the same client_id: the answer must still carry
    the crisis flag and note, or the author's item says only "waiting for review" until reload."""
    put_on_call(staff("Mo"))
    a = chat.connect(member(display_name="Sam"))
    send = {"room": "welcome", "body": CRISIS, "client_id": new_id()}
    first = ack(a, "send", send)
    again = ack(a, "send", send)
    assert first["crisis"] is True
    assert again == first
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(CrisisAlert.id))) == 1
    assert len(outbox()) == 1  # the resend alerts no one twice


def test_a_resent_crisis_form_post_keeps_the_crisis_note(app, chat, welcome):
    """The form (no JavaScript) resubmitted with the same client_id flashes the crisis note again."""
    a = chat.connect(member(display_name="Sam"))
    data = {"body": CRISIS, "client_id": new_id()}
    for _ in range(2):
        page = post(a, "/rooms/welcome/messages", data, page="/rooms/welcome")
        assert page.status_code == 302
        shown = a.http.get(page.headers["Location"]).get_data(as_text=True)
        assert "A staff member will reach out to you soon" in shown
        assert "A moderator will look at your message" not in shown  # not the plain held flash


def test_a_counselor_on_call_is_alerted_live_with_a_link_to_the_item_and_emailed_once(app, chat, welcome, outbox):
    """The moderators' live console alert never reached a counselor on call (no console): each
    person alerted — at once or by escalation — also gets a notice linking to the item, live on
    any page with a socket, and still exactly one email. No one else is told."""
    counselor = put_on_call(staff("Cy", Role.COUNSELOR))
    backup = put_on_call(staff("Bo", Role.COUNSELOR), backup=True)
    bystander = member(display_name="Reader")
    c, b, r = chat.connect(counselor), chat.connect(backup), chat.connect(bystander)
    a = chat.connect(member(display_name="Sam"))
    ack(a, "send", {"room": "welcome", "body": CRISIS, "client_id": new_id()})
    alert = db.session.scalar(sa.select(CrisisAlert))
    item = f"/rooms/console/crisis/{alert.id}"
    [notice] = payloads(c, "notification")
    assert notice["kind"] == "crisis_alert" and notice["url"] == item
    assert CRISIS not in notice["text"] and "Sam" not in notice["text"]
    assert payloads(b, "notification") == [] and payloads(r, "notification") == []
    assert recipients(outbox()) == [counselor.email]
    assert crisis.escalate_due(alert.last_alert_at + timedelta(minutes=10)) == 1
    [escalated] = payloads(b, "notification")
    assert escalated["url"] == item
    assert recipients(outbox()) == sorted([counselor.email, backup.email])
    assert c.http.get(item).status_code == 200  # the link opens for a counselor
