"""The conversation around messages (issue 12): replies, support reactions, @mentions, pins and
search — over the socket and without JavaScript, with every permission denial and hostile input."""

import sqlalchemy as sa

from portal.extensions import db
from portal.notifications.models import Notification
from portal.rooms import conversation
from portal.rooms.convo_models import Mention, Pin, Reaction, Reply
from portal.rooms.models import Message, MessageStatus, RestrictionKind, RoomKind, RoomRestriction
from portal.sanitize import chat_to_html
from portal.security import Role
from tests.rooms.conftest import ack, make_room, member, new_id, payloads, received
from tests.rooms.test_form_posting import Person, page_of

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
CONTRACT_KEYS = {"id", "room", "author", "body_html", "created_at", "client_id", "edited_at"}


def post(room, author, body, status=MessageStatus.VISIBLE):
    """A stored message (any room, any status), as the services would leave it."""
    message = Message(
        room_id=room.id,
        author_id=author.id,
        client_id=new_id(),
        body=body,
        body_html=str(chat_to_html(body)).strip(),
        status=status.value,
    )
    db.session.add(message)
    db.session.commit()
    return message


def joined(chat, user, room="welcome"):
    sock = chat.connect(user)
    assert ack(sock, "join", {"room": room})["ok"]
    received(sock)
    return sock


# --- replies -----------------------------------------------------------------------------------


def test_a_reply_over_the_socket_keeps_the_contract_message_and_sends_its_context(app, chat, welcome):
    alice, bea = member(display_name="Alice"), member(display_name="Bea")
    original = post(welcome, alice, "How do you all cope on **weekends**?")
    a, b = joined(chat, alice), joined(chat, bea)

    reply = ack(b, "send", {"room": "welcome", "body": "Walks help me", "client_id": new_id(), "reply_to": original.id})

    assert reply["ok"] and set(reply["message"]) >= CONTRACT_KEYS and "reply_to" not in reply["message"]
    events = received(a)
    [live] = [e["args"] for e in events if e["name"] == "message"]
    assert set(live) == set(reply["message"])
    [context] = [e["args"][0] for e in events if e["name"] == "message_context"]
    assert context["id"] == live["id"] and context["room"] == "welcome"
    assert context["reply_to"] == {
        "id": original.id,
        "author": "Alice",
        "excerpt": "How do you all cope on **weekends**?",
        "removed": False,
    }
    assert db.session.get(Reply, live["id"]).reply_to_id == original.id
    notice = db.session.scalar(sa.select(Notification))
    assert (notice.user_id, notice.kind) == (alice.id, "reply") and notice.url.endswith(f"#m-{live['id']}")


def test_a_send_without_reply_to_is_the_contract_send_and_sends_no_context(app, chat, welcome):
    a, b = joined(chat, member()), joined(chat, member())
    assert ack(b, "send", {"room": "welcome", "body": "plain", "client_id": new_id()})["ok"]
    assert [e["name"] for e in received(a) if "message" in e["name"]] == ["message"]
    assert db.session.scalar(sa.select(sa.func.count(Reply.message_id))) == 0


def test_reply_targets_must_be_visible_messages_of_the_same_room(app, chat, welcome):
    other_room = make_room("other")
    alice = member()
    foreign = post(other_room, alice, "elsewhere")
    held = post(welcome, alice, "waiting", status=MessageStatus.HELD)
    removed = post(welcome, alice, "gone")
    removed.removed_at = conversation.services.utcnow()
    db.session.commit()
    sock = joined(chat, member())
    for target, code in [
        (foreign.id, "not_found"),
        (held.id, "not_found"),
        (removed.id, "not_found"),
        (999_999, "not_found"),
        ("abc", "invalid"),
        (True, "invalid"),
        (-1, "invalid"),
        (2**60, "invalid"),
        ([1], "invalid"),
    ]:
        answer = ack(sock, "send", {"room": "welcome", "body": "hi", "client_id": new_id(), "reply_to": target})
        assert answer["error"] == code, (target, answer)
    assert db.session.scalar(sa.select(sa.func.count(Message.id)).where(Message.room_id == welcome.id)) == 2


def test_a_reply_without_javascript_quotes_the_original_escaped_and_links_to_it(app, welcome):
    alice = member(display_name="Alice")
    original = post(welcome, alice, "Look " + XSS)
    person = Person(app, member(display_name="Bea"))
    composer = page_of(person.http.get(f"/rooms/welcome?reply_to={original.id}"))
    assert f'name="reply_to" id="composer-reply-to" value="{original.id}"' in composer
    assert "In reply to Alice:" in composer and "<script>alert" not in composer

    response = person.post("Thank you for sharing", reply_to=str(original.id))
    assert response.status_code == 302
    page = page_of(person.http.get("/rooms/welcome"))
    quote = f'<a href="/rooms/welcome?before={original.id + 1}#m-{original.id}" data-original="{original.id}">'
    assert quote + '<span class="msg-reply-label">In reply to Alice:</span>' in page
    assert (
        "&lt;script&gt;" in page
        and "<script>alert" not in page
        and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    )


def test_a_refused_reply_without_javascript_keeps_the_text_and_never_500s(app, welcome):
    person = Person(app, member())
    for value in ["abc", "-5", "99999999999999999999", "1 OR 1=1"]:
        response = person.post("hello", reply_to=value)
        assert response.status_code in (404, 422), (value, response.status_code)
    response = person.post("x" * 10_000, reply_to="")
    assert response.status_code == 422 and "x" * 100 in page_of(response)
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_a_removed_original_shows_as_removed_in_the_quote(app, welcome):
    alice = member(display_name="Alice")
    original = post(welcome, alice, "first")
    conversation.post(member(), welcome, "answer", new_id(), reply_to=original.id)
    original.removed_at = conversation.services.utcnow()
    db.session.commit()
    page = page_of(Person(app, member()).http.get("/rooms/welcome"))
    assert "In reply to a message that was removed." in page and "first" not in page


# --- reactions ---------------------------------------------------------------------------------


def test_a_reaction_toggles_counts_and_is_broadcast(app, chat, welcome):
    alice, bea = member(display_name="Alice"), member(display_name="Bea")
    message = post(welcome, alice, "Hard day")
    a, b = joined(chat, alice), joined(chat, bea)

    answer = ack(b, "react", {"message_id": message.id, "kind": "support"})
    assert answer == {"ok": True, "id": message.id, "counts": {"support": 1}, "mine": ["support"]}
    assert payloads(a, "reactions") == [{"room": "welcome", "id": message.id, "counts": {"support": 1}}]
    assert ack(a, "react", {"message_id": message.id, "kind": "support"})["counts"] == {"support": 2}
    again = ack(b, "react", {"message_id": message.id, "kind": "support"})
    assert again["counts"] == {"support": 1} and again["mine"] == []
    page = page_of(Person(app, alice).http.get("/rooms/welcome"))
    assert 'data-kind="support" aria-pressed="true">Sending support <span class="reaction-count">1</span>' in page
    assert '<span class="reaction-summary nojs-only">Sending support: 1</span>' in page


def test_reactions_refuse_hostile_and_unknown_input(app, chat, welcome):
    other = make_room("private-room", kind=RoomKind.INVITE_ONLY)
    hidden = post(other, member(), "not for you")
    held = post(welcome, member(), "held", status=MessageStatus.HELD)
    message = post(welcome, member(), "hello")
    sock = joined(chat, member())
    for payload, code in [
        ({"message_id": message.id, "kind": "love"}, "invalid"),
        ({"message_id": message.id, "kind": XSS}, "invalid"),
        ({"message_id": message.id, "kind": "x" * 10_000}, "invalid"),
        ({"message_id": message.id}, "invalid"),
        ({"message_id": "1; DROP TABLE room_reactions", "kind": "support"}, "invalid"),
        ({"message_id": 999_999, "kind": "support"}, "not_found"),
        ({"message_id": hidden.id, "kind": "support"}, "not_found"),
        ({"message_id": held.id, "kind": "support"}, "not_found"),
    ]:
        assert ack(sock, "react", payload)["error"] == code, payload
    assert ack(sock, "react", "not a dict")["error"] == "invalid"
    assert db.session.scalar(sa.select(sa.func.count(Reaction.id))) == 0


def test_reactions_recheck_consent_mutes_and_rate_limits_like_messages(app, chat, program_room, linked_member):
    message = post(program_room, member(roles=(Role.MODERATOR,)), "Welcome, families")
    sock = joined(chat, linked_member, "evening-iop")
    assert ack(sock, "react", {"message_id": message.id, "kind": "thanks"})["ok"]
    linked_member.test_link.consent.revoked_at = conversation.services.utcnow()
    db.session.commit()
    assert ack(sock, "react", {"message_id": message.id, "kind": "me_too"})["error"] == "not_found"

    welcome = make_room("welcome")
    target = post(welcome, member(), "hi")
    muted = member()
    db.session.add(
        RoomRestriction(room_id=welcome.id, user_id=muted.id, kind=RestrictionKind.MUTE, created_by_id=muted.id)
    )
    db.session.commit()
    assert ack(joined(chat, muted), "react", {"message_id": target.id, "kind": "thanks"})["error"] == "muted"

    busy = joined(chat, member())
    answers = [ack(busy, "react", {"message_id": target.id, "kind": "thanks"}) for _ in range(6)]
    assert [a["ok"] for a in answers[:5]] == [True] * 5 and answers[5]["error"] == "rate_limited"


def test_reactions_without_javascript_post_and_redirect(app, welcome):
    message = post(welcome, member(), "hello")
    person = Person(app, member())
    options = page_of(person.http.get(f"/rooms/welcome/messages/{message.id}"))
    assert f'action="/rooms/welcome/messages/{message.id}/reactions"' in options and "Pin to the top" not in options
    assert person.http.get("/rooms/welcome/messages/999999").status_code == 404
    path = f"/rooms/welcome/messages/{message.id}/reactions"
    assert person.http.get(path).status_code == 405
    assert person.http.post(path, data={"kind": "support"}).status_code == 400  # no CSRF token
    response = person.auth.post(path, {"kind": "thanks"}, page="/rooms/welcome")
    assert response.status_code == 302 and response.location.endswith(f"#m-{message.id}")
    assert db.session.scalar(sa.select(Reaction.kind)) == "thanks"
    assert person.auth.post(path, {"kind": "nope"}, page="/rooms/welcome").status_code == 400
    elsewhere = post(make_room("other"), member(), "other room")
    bad = person.auth.post(
        f"/rooms/welcome/messages/{elsewhere.id}/reactions", {"kind": "thanks"}, page="/rooms/welcome"
    )
    assert bad.status_code == 404


# --- mentions ----------------------------------------------------------------------------------


def test_mentions_resolve_exact_display_names_of_room_members_and_signal(app, chat, welcome):
    received_signals = []
    conversation.mentioned.connect(lambda sender, **kw: received_signals.append(kw), weak=False)
    alice, bea = member(display_name="Alice"), member(display_name="Bea Lopez")
    outsider = member(display_name="Carl")
    program = make_room("iop", kind=RoomKind.INVITE_ONLY)
    post(program, outsider, "I am elsewhere")
    b = joined(chat, bea)
    a = joined(chat, alice)
    answer = ack(
        a,
        "send",
        {"room": "welcome", "body": "@Bea Lopez thank you, @Carl and @bea lopez " + XSS, "client_id": new_id()},
    )
    assert answer["ok"]
    [context] = [e["args"][0] for e in received(b) if e["name"] == "message_context"]
    assert context["mentions"] == [{"id": bea.id, "display_name": "Bea Lopez"}]
    assert db.session.scalars(sa.select(Mention.user_id)).all() == [bea.id]
    assert received_signals[-1]["user_ids"] == [bea.id] and received_signals[-1]["room"] == "welcome"
    notices = db.session.execute(sa.select(Notification.user_id, Notification.kind)).all()
    assert notices == [(bea.id, "mention")]
    page = page_of(Person(app, bea).http.get("/rooms/welcome"))
    assert "Mentions you" in page and "<script>alert" not in page


def test_member_suggestions_list_people_in_the_room_only(app, welcome):
    alice = member(display_name="Alice")
    post(welcome, member(display_name="Alma"), "hi")
    post(make_room("private-room", kind=RoomKind.INVITE_ONLY), member(display_name="Alfred"), "hi")
    person = Person(app, alice)
    assert person.http.get("/rooms/welcome/members?q=al").get_json() == {"names": ["Alma"]}
    assert person.http.get("/rooms/welcome/members?q=" + "a" * 500).get_json() == {"names": []}
    assert person.http.get("/rooms/private-room/members?q=al").status_code == 403


# --- pins --------------------------------------------------------------------------------------


def test_only_moderators_pin_and_pins_are_listed_at_the_top(app, welcome):
    message = post(welcome, member(), "Resource: the 988 line answers in Spanish too")
    family = Person(app, member())
    path = f"/rooms/welcome/messages/{message.id}/pin"
    assert family.auth.post(path, {}, page="/rooms/welcome").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Pin.id))) == 0
    assert "msg-options" in (family_page := page_of(family.http.get("/rooms/welcome")))
    assert "msg-options nojs-only" in family_page and ">Moderate, pin or react</a>" not in family_page

    moderator = Person(app, member(roles=(Role.MODERATOR,)))
    assert moderator.http.get(path).status_code == 405
    assert moderator.auth.post(path, {}, page="/rooms/welcome").status_code == 302
    page = page_of(family.http.get("/rooms/welcome"))
    pins = page[page.index('id="pins"') : page.index("</section>", page.index('id="pins"'))]
    assert "Resource: the 988 line" in pins
    assert (
        moderator.auth.post(f"/rooms/welcome/messages/{message.id}/unpin", {}, page="/rooms/welcome").status_code == 302
    )
    assert db.session.scalar(sa.select(sa.func.count(Pin.id))) == 0
    assert moderator.auth.post("/rooms/welcome/messages/999999/pin", {}, page="/rooms/welcome").status_code == 404


def test_a_hidden_pinned_message_leaves_the_pins(app, welcome):
    message = post(welcome, member(), "pinned then hidden")
    conversation.set_pinned(member(roles=(Role.MODERATOR,)), message.id, True)
    message.removed_at = conversation.services.utcnow()
    db.session.commit()
    assert "pinned then hidden" not in page_of(Person(app, member()).http.get("/rooms/welcome"))


# --- search ------------------------------------------------------------------------------------


def test_search_finds_only_visible_messages_in_rooms_one_may_read(app, welcome):
    author = member()
    post(welcome, author, "Gardening helps me breathe")
    post(welcome, author, "gardening held", status=MessageStatus.HELD)
    gone = post(welcome, author, "gardening deleted")
    gone.removed_at = conversation.services.utcnow()
    post(make_room("private-room", kind=RoomKind.INVITE_ONLY), author, "gardening secret")
    banned_room = make_room("banned-room")
    post(banned_room, author, "gardening where I am banned")
    reader = member()
    db.session.add(
        RoomRestriction(room_id=banned_room.id, user_id=reader.id, kind=RestrictionKind.BAN, created_by_id=author.id)
    )
    db.session.commit()
    person = Person(app, reader)
    page = page_of(person.http.get("/rooms/search?q=GARDENING"))
    assert "Gardening helps me breathe" in page
    for hidden in ("held", "deleted", "secret", "banned"):
        assert f"gardening {hidden}" not in page and "where I am banned" not in page
    assert "1 message found" in page


def test_search_handles_hostile_and_oversized_queries(app, welcome):
    post(welcome, member(), "100% sure_thing")
    person = Person(app, member())
    assert "0 messages found" in page_of(person.http.get("/rooms/search?q=%25sure"))  # % and _ are literal
    assert "0 messages found" in page_of(person.http.get("/rooms/search?q=s_r"))
    assert "1 message found" in page_of(person.http.get("/rooms/search?q=100%25 sure_"))
    page = page_of(person.http.get("/rooms/search?q=" + XSS))
    assert "<script>alert" not in page
    assert person.http.get("/rooms/search?q=' OR 1=1 --").status_code == 200
    assert person.http.get("/rooms/search?q=" + "x" * 10_000).status_code == 422


# --- catch-up context --------------------------------------------------------------------------


def test_the_context_event_gives_replies_and_reactions_of_readable_messages_only(app, chat, welcome):
    alice = member(display_name="Alice")
    original = post(welcome, alice, "first")
    answer = conversation.post(alice, welcome, "second", new_id(), reply_to=original.id).message
    private = post(make_room("private-room", kind=RoomKind.INVITE_ONLY), alice, "private")
    sock = joined(chat, member())
    ack(sock, "react", {"message_id": original.id, "kind": "me_too"})
    reply = ack(sock, "context", {"room": "welcome", "ids": [original.id, answer.id, private.id]})
    items = {item["id"]: item for item in reply["items"]}
    assert set(items) == {original.id, answer.id}
    assert items[original.id]["reactions"] == {"me_too": 1} and items[original.id]["mine"] == ["me_too"]
    assert items[answer.id]["reply_to"]["excerpt"] == "first"
    for bad in ([], ["x"], list(range(1, 300)), "1,2"):
        assert ack(sock, "context", {"room": "welcome", "ids": bad})["error"] == "invalid"
    assert ack(sock, "context", {"room": "private-room", "ids": [private.id]})["error"] == "not_member"


def test_a_mention_emails_only_people_not_in_the_rooms_neutrally_and_can_be_turned_off(app, chat, welcome, outbox):
    """The portal notice always; a neutral email (no room, no words of the message, a link to the
    notice behind the sign-in) only to someone with no socket open, unless they turned it off."""
    from portal.notifications.services import set_channel

    alice, online = member(display_name="Alice"), member(display_name="Olu")
    offline, quiet = member(display_name="Bea"), member(display_name="Quinn")
    set_channel(quiet, "mentions", "portal")
    db.session.commit()
    for person in (offline, quiet):
        post(welcome, person, "hello")  # they have written here before, so they can be mentioned
    joined(chat, online)
    a = joined(chat, alice)
    body = "@Olu @Bea @Quinn thank you for sharing " + XSS
    assert ack(a, "send", {"room": "welcome", "body": body, "client_id": new_id()})["ok"]
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "mention")).all()
    assert sorted(told) == sorted([online.id, offline.id, quiet.id])
    mails = outbox()
    assert [m["To"] for m in mails] == [offline.email]
    text = mails[0].get_body(("plain",)).get_content()
    assert "thank you for sharing" not in text and "Welcome" not in text and "/rooms/welcome" not in text
    assert "/notifications/" in text and "Alice" not in text and "onerror" not in text
