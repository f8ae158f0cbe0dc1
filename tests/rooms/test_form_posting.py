"""Posting in a room without JavaScript: the composer is a plain form (POST /rooms/<slug>/messages)
that goes through the same service and broadcasts as a socket `send`, then back to the room."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.clock import utcnow
from portal.extensions import db
from portal.rooms.models import Flag, Message, RestrictionKind, RoomKind, RoomRestriction, Suspension, WatchedWord
from portal.security import Role
from tests.conftest import AuthActions
from tests.rooms.conftest import ack, make_room, member, new_id, payloads, received

CLIENT_ID = re.compile(r'name="client_id" value="([0-9a-f-]{36})"')


class Person:
    """A signed-in browser without JavaScript: pages and form posts only."""

    def __init__(self, app, user):
        self.http = app.test_client()
        self.auth = AuthActions(self.http)
        assert self.auth.login(user.email).status_code == 302
        self.user = user

    def post(self, body, room="welcome", **extra):
        data = {"body": body, **extra}
        return self.auth.post(f"/rooms/{room}/messages", data, page=f"/rooms/{room}")


def stored():
    return db.session.scalars(sa.select(Message).order_by(Message.id)).all()


def page_of(response):
    return response.get_data(as_text=True)


def test_the_room_page_composer_is_a_real_form_with_csrf_and_a_client_id(app, welcome):
    person = Person(app, member())
    page = page_of(person.http.get("/rooms/welcome"))
    form = page[page.index('<form id="composer"') : page.index("</form>", page.index('<form id="composer"'))]
    assert 'method="post"' in form and 'action="/rooms/welcome/messages"' in form
    assert 'name="csrf_token"' in form and CLIENT_ID.search(form)
    assert 'name="body"' in form and "is-hidden" not in form.split(">")[0]


def test_a_form_post_is_stored_broadcast_to_the_room_and_redirects_back(app, chat, welcome):
    reader = chat.connect(member(display_name="Reader"))
    ack(reader, "join", {"room": "welcome"})
    received(reader)  # drop the join's presence events
    author = member(display_name="Author")
    person = Person(app, author)

    response = person.post("Hello from a browser without **JavaScript**")

    [message] = stored()
    assert message.author_id == author.id and message.body == "Hello from a browser without **JavaScript**"
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/rooms/welcome#m-{message.id}")
    live = payloads(reader, "message")
    assert [m["id"] for m in live] == [message.id]
    assert live[0]["author"]["display_name"] == "Author" and "<strong>JavaScript</strong>" in live[0]["body_html"]
    page = page_of(person.http.get("/rooms/welcome"))
    assert "Your message is posted." in page and "<strong>JavaScript</strong>" in page


def test_pressing_send_twice_stores_the_message_once(app, welcome):
    person = Person(app, member())
    client_id = CLIENT_ID.search(page_of(person.http.get("/rooms/welcome"))).group(1)
    first = person.post("only once", client_id=client_id)
    second = person.post("only once", client_id=client_id)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert [m.body for m in stored()] == ["only once"]


def test_a_malformed_client_id_is_refused_and_nothing_stored(app, welcome):
    person = Person(app, member())
    response = person.post("hello", client_id="not-a-uuid")
    assert response.status_code == 422
    assert "That request could not be understood." in page_of(response)
    assert stored() == []
    fresh = CLIENT_ID.search(page_of(response)).group(1)  # the page offers a usable one again
    assert person.post("hello", client_id=fresh).status_code == 302
    assert [m.client_id for m in stored()] == [fresh]


def test_a_refused_post_keeps_its_client_id_so_the_resend_is_stored_once(app, welcome):
    welcome.slow_mode_seconds = 30
    db.session.commit()
    person = Person(app, member())
    assert person.post("one").status_code == 302
    client_id = CLIENT_ID.search(page_of(person.http.get("/rooms/welcome"))).group(1)
    refused = person.post("two", client_id=client_id)
    assert refused.status_code == 429 and f'value="{client_id}"' in page_of(refused)


def test_without_a_csrf_token_it_is_400(app, welcome):
    person = Person(app, member())
    response = person.http.post("/rooms/welcome/messages", data={"body": "hello"})
    assert response.status_code == 400 and stored() == []


def test_signed_out_people_are_sent_to_sign_in(app, client, welcome):
    member()
    response = client.post("/rooms/welcome/messages", data={"body": "hello"})
    assert response.status_code in (302, 400) and stored() == []


def test_people_without_the_chat_permission_are_refused(app, welcome):
    person = Person(app, make_counselor())
    assert person.post("hello").status_code == 403
    assert stored() == []


def make_counselor():
    from tests.factories import make_user

    return make_user(roles=(Role.COUNSELOR,))


@pytest.mark.parametrize(
    ("code", "status", "shown"),
    [
        ("empty", 422, "Please write a message first."),
        ("too_long", 422, "Messages can be up to 2,000 characters."),
        ("blocked", 422, "This message contains words that are not allowed here."),
    ],
)
def test_text_errors_show_the_room_again_with_the_text_kept(app, welcome, code, status, shown):
    db.session.add(WatchedWord(phrase="buy now", action="block"))
    db.session.commit()
    body = {"empty": "   ", "too_long": "x" * 2001, "blocked": "Great deal, buy now <b>friends</b>"}[code]
    response = Person(app, member()).post(body)
    page = page_of(response)
    assert response.status_code == status
    assert shown in page and 'aria-invalid="true"' in page
    if code != "empty":
        kept = body.replace("<b>", "&lt;b&gt;").replace("</b>", "&lt;/b&gt;")
        assert f">{kept}</textarea>" in page
    assert stored() == []


def test_guidelines_must_be_accepted_first(app, welcome):
    response = Person(app, member(accepted=False)).post("my first words")
    page = page_of(response)
    assert response.status_code == 403
    assert "Please read and accept the community guidelines before posting." in page
    assert ">my first words</textarea>" in page
    assert stored() == []


def test_a_locked_room_refuses_members_but_not_moderators(app, welcome):
    welcome.locked = True
    db.session.commit()
    refused = Person(app, member()).post("may I?")
    assert refused.status_code == 403 and "This room is read-only for now." in page_of(refused)
    assert stored() == []
    assert Person(app, member(roles=(Role.MODERATOR,))).post("a note from us").status_code == 302
    assert [m.body for m in stored()] == ["a note from us"]


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        (RestrictionKind.MUTE, "A moderator has paused your posting in this room for a while."),
        (RestrictionKind.BAN, "You do not have permission"),  # banned: the room itself is closed (load_room)
    ],
)
def test_muted_and_banned_people_cannot_post(app, welcome, kind, shown):
    alice, mod = member(), member(roles=(Role.MODERATOR,))
    person = Person(app, alice)
    db.session.add(
        RoomRestriction(
            room_id=welcome.id,
            user_id=alice.id,
            kind=kind.value,
            created_by_id=mod.id,
            until=utcnow() + timedelta(minutes=5),
        )
    )
    db.session.commit()
    response = person.auth.post("/rooms/welcome/messages", {"body": "hello"}, page="/rooms/")
    assert response.status_code == 403 and shown in page_of(response)
    assert stored() == []


def test_suspended_people_get_the_suspension_page(app, welcome):
    alice, mod = member(), member(roles=(Role.MODERATOR,))
    person = Person(app, alice)
    token = person.auth.csrf("/rooms/welcome")
    db.session.add(Suspension(user_id=alice.id, reason="a pause", created_by_id=mod.id))
    db.session.commit()
    response = person.http.post("/rooms/welcome/messages", data={"body": "hello", "csrf_token": token})
    assert response.status_code == 403 and "a pause" in page_of(response)
    assert stored() == []


def test_program_rooms_need_a_family_link(app, program_room, linked_member):
    outsider = Person(app, member())
    response = outsider.auth.post("/rooms/evening-iop/messages", {"body": "hello"}, page="/rooms/")
    assert response.status_code == 403 and stored() == []
    assert Person(app, linked_member).post("hello", room="evening-iop").status_code == 302
    assert len(stored()) == 1


def test_invite_only_rooms_need_an_invitation(app):
    make_room("circle", kind=RoomKind.INVITE_ONLY)
    person = Person(app, member())
    assert person.auth.post("/rooms/circle/messages", {"body": "hi"}, page="/rooms/").status_code == 403
    assert stored() == []


def test_unknown_and_archived_rooms_are_404(app, welcome):
    make_room("old", archived=True)
    person = Person(app, member())
    assert person.auth.post("/rooms/nowhere/messages", {"body": "hi"}, page="/rooms/").status_code == 404
    assert person.auth.post("/rooms/old/messages", {"body": "hi"}, page="/rooms/").status_code == 404
    assert person.auth.post(f"/rooms/{'x' * 65}/messages", {"body": "hi"}, page="/rooms/").status_code == 404
    assert stored() == []


def test_rate_limit_is_shared_with_the_socket_and_answers_429(app, chat, welcome):
    alice = member()
    sock = chat.connect(alice)
    for n in range(5):
        assert ack(sock, "send", {"room": "welcome", "body": f"m{n}", "client_id": new_id()})["ok"]
    response = Person(app, alice).post("sixth")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 10
    assert "You are sending messages quickly." in page_of(response) and ">sixth</textarea>" in page_of(response)
    assert len(stored()) == 5


def test_slow_mode_answers_429_with_the_text_kept(app, welcome):
    welcome.slow_mode_seconds = 30
    db.session.commit()
    person = Person(app, member())
    assert person.post("one").status_code == 302
    response = person.post("two")
    assert response.status_code == 429 and 1 <= int(response.headers["Retry-After"]) <= 30
    assert "This room is in slow mode." in page_of(response) and ">two</textarea>" in page_of(response)
    assert [m.body for m in stored()] == ["one"]


def test_a_newcomers_post_is_held_for_review_and_not_broadcast(app, chat, welcome):
    reader = chat.connect(member())
    ack(reader, "join", {"room": "welcome"})
    mod = chat.connect(member(roles=(Role.MODERATOR,)))
    received(reader)
    person = Person(app, member(established=False))
    response = person.post("first words")
    assert response.status_code == 302 and response.headers["Location"].endswith("#composer")
    [message] = stored()
    assert message.is_held
    assert payloads(reader, "message") == []
    assert payloads(mod, "moderation_alert")[-1]["kind"] == "held"
    page = page_of(person.http.get("/rooms/welcome"))
    assert "A moderator will look at your message before it appears." in page


def test_held_by_a_watched_word(app, welcome):
    db.session.add(WatchedWord(phrase="free money", action="hold"))
    db.session.commit()
    assert Person(app, member()).post("free money here").status_code == 302
    assert [m.is_held for m in stored()] == [True]


SUPPORT_NUMBERS = ("988", "911", "1-800-662-4357")


def test_a_crisis_post_shows_the_support_panel_once_and_alerts_moderators(app, chat, welcome):
    author = member(established=False)  # even a premoderated newcomer is not silenced
    author_socket = chat.connect(author)  # the same person's other open tab
    mod = chat.connect(member(roles=(Role.MODERATOR,)))
    person = Person(app, author)
    response = person.post("I don't want to live anymore")
    assert response.status_code == 302
    [message] = stored()
    assert message.is_held  # issue 12: held for staff until a moderator releases it
    assert db.session.scalar(sa.select(Flag.kind).where(Flag.message_id == message.id)) == "crisis"
    assert len(payloads(author_socket, "support")) == 1
    assert payloads(mod, "moderation_alert")[-1]["kind"] == "crisis"
    page = page_of(person.http.get("/rooms/welcome"))
    panel = page[page.index('id="support-panel"') : page.index("</section>", page.index('id="support-panel"'))]
    assert all(number in panel for number in SUPPORT_NUMBERS)
    assert "A staff member will reach out to you soon" in panel and 'role="alert"' in panel
    # announced once; shown again (not announced) while staff keep the post (test_held_posts.py)
    again = page_of(person.http.get("/rooms/welcome"))
    assert 'id="support-panel" aria-labelledby' in again


def test_crisis_text_in_a_refused_post_still_shows_support(app, chat, welcome):
    welcome.locked = True
    db.session.commit()
    author = member()
    author_socket = chat.connect(author)
    response = Person(app, author).post("I want to kill myself")
    page = page_of(response)
    assert response.status_code == 403
    assert 'id="support-panel"' in page and all(number in page for number in SUPPORT_NUMBERS)
    assert ">I want to kill myself</textarea>" in page
    assert len(payloads(author_socket, "support")) == 1
    assert stored() == []


def test_older_messages_can_be_read_without_javascript(app, welcome):
    from portal.rooms.services import post_message

    other = member()
    for n in range(55):
        post_message(other, welcome, f"message number {n}", new_id(), lambda _user_id: 0)
    person = Person(app, member())
    page = page_of(person.http.get("/rooms/welcome"))
    assert "message number 54" in page and "message number 4<" not in page
    first_shown = db.session.scalar(sa.select(Message.id).where(Message.body == "message number 5"))
    link = re.search(r'<a id="load-older" class="([^"]*)"\s+href="([^"]+)"', page)
    assert "is-hidden" not in link.group(1)
    assert link.group(2) == f"/rooms/welcome?before={first_shown}#messages"
    older = page_of(person.http.get(link.group(2).split("#")[0]))
    assert "message number 0<" in older and "message number 4<" in older and "message number 5<" not in older
    assert 'id="load-latest"' in older
    assert re.search(r'<a id="load-older" class="[^"]*is-hidden', older)
    for bad in ("?before=abc", "?before=-4", "?before=99999999999999999999"):
        assert person.http.get("/rooms/welcome" + bad).status_code == 200
