"""The HTTP pages of rooms: list, room, guidelines, console pages, and who may open them."""

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.rooms.models import GuidelinesAcceptance, Message, ReadMarker
from portal.security import Role
from tests.factories import make_user
from tests.rooms.conftest import make_room, member, new_id
from tests.statements import statements_of_get

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def post_message(room, author, body):
    from portal.rooms.services import post_message as post

    return post(author, room, body, new_id(), lambda _user_id: 0).message


def test_room_list_shows_descriptions_unread_and_online_counts(app, auth, client, welcome):
    welcome.description = "A place to *say hello*"
    welcome.description_html = "<p>A place to <em>say hello</em></p>"
    db.session.commit()
    me, other = member("me@example.org"), member()
    for n in range(3):
        post_message(welcome, other, f"hello {n}")
    auth.login("me@example.org")
    page = client.get("/rooms/").get_data(as_text=True)
    assert "Welcome" in page and "<em>say hello</em>" in page
    assert "3 new messages" in page
    assert "0 people online" in page
    db.session.add(
        ReadMarker(
            user_id=me.id, room_id=welcome.id, last_read_id=db.session.scalar(sa.select(sa.func.max(Message.id)))
        )
    )
    db.session.commit()
    assert "0 new messages" in client.get("/rooms/").get_data(as_text=True)


def test_room_page_renders_history_divider_and_no_emails(app, auth, client, welcome):
    me = member("me@example.org", "Me")
    other = member("other@example.org", "Other Person")
    first = post_message(welcome, other, "older")
    db.session.add(ReadMarker(user_id=me.id, room_id=welcome.id, last_read_id=first.id))
    db.session.commit()
    post_message(welcome, other, "newer **bold**")
    auth.login("me@example.org")
    page = client.get("/rooms/welcome").get_data(as_text=True)
    assert page.count("<h1") == 1
    assert page.index("older") < page.index("New messages") < page.index("newer")
    assert "<strong>bold</strong>" in page
    assert "Other Person" in page and "other@example.org" not in page
    assert 'data-timezone="America/New_York"' in page
    assert "socket.io.min.js" in page and "js/rooms/main.js" in page
    assert "<script>" not in page and " style=" not in page


def test_room_page_and_list_need_login_and_chat_permission(app, auth, client, welcome):
    assert client.get("/rooms/").status_code == 302
    assert client.get("/rooms/welcome").status_code == 302
    make_user("counselor@example.org", roles=(Role.COUNSELOR,))
    auth.login("counselor@example.org")
    assert client.get("/rooms/").status_code == 403
    assert client.get("/rooms/welcome").status_code == 403


def test_unknown_room_is_404_and_archived_room_is_404_for_members(app, auth, client, welcome):
    make_room("old", archived=True)
    member("me@example.org")
    auth.login("me@example.org")
    assert client.get("/rooms/nowhere").status_code == 404
    assert client.get("/rooms/old").status_code == 404
    assert client.get("/rooms/" + "x" * 500).status_code == 404


def test_guidelines_accept_is_a_post_with_csrf(app, auth, client, welcome):
    user = member("me@example.org", accepted=False)
    auth.login("me@example.org")
    page = client.get("/rooms/welcome").get_data(as_text=True)
    assert "community guidelines" in page
    guidelines = client.get("/rooms/guidelines?next=/rooms/welcome").get_data(as_text=True)
    assert "Be kind" in guidelines
    token = CSRF.search(guidelines).group(1)
    assert client.post("/rooms/guidelines", data={"agree": "y"}).status_code == 400  # no CSRF token
    refused = client.post("/rooms/guidelines", data={"csrf_token": token})
    assert refused.status_code == 422
    done = client.post("/rooms/guidelines?next=/rooms/welcome", data={"csrf_token": token, "agree": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/rooms/welcome")
    assert db.session.scalar(sa.select(GuidelinesAcceptance).filter_by(user_id=user.id)) is not None
    evil = client.post("/rooms/guidelines?next=https://evil.example/", data={"csrf_token": token, "agree": "y"})
    assert "evil.example" not in evil.headers["Location"]


def test_console_pages_are_for_moderators(app, auth, client, welcome):
    make_user("mod@example.org", roles=(Role.MODERATOR,))
    auth.login("mod@example.org")
    for path in ["/rooms/console", "/rooms/console/words", "/rooms/console/rooms", "/rooms/console/rooms/welcome"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.get_data(as_text=True).count("<h1") == 1


def test_dashboard_panel_shows_rooms_and_queue(app, auth, client, welcome):
    make_user("mod@example.org", roles=(Role.MODERATOR,))
    auth.login("mod@example.org")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Peer support rooms" in page and "Review queue (0)" in page


def test_notices_can_be_marked_read_only_by_their_owner(app, auth, client, welcome):
    from portal.rooms.models import Notice

    me, other = member("me@example.org"), member()
    mine, theirs = Notice(user_id=me.id, text="Be gentle"), Notice(user_id=other.id, text="x")
    db.session.add_all([mine, theirs])
    db.session.commit()
    auth.login("me@example.org")
    page = client.get("/rooms/").get_data(as_text=True)
    assert "Be gentle" in page
    token = CSRF.search(page).group(1)
    assert client.post(f"/rooms/notices/{theirs.id}/read", data={"csrf_token": token}).status_code == 404
    client.post(f"/rooms/notices/{mine.id}/read", data={"csrf_token": token})
    assert "Be gentle" not in client.get("/rooms/").get_data(as_text=True)


# The room page: the session; the room with the person's standing there (suspension, ban,
# mute, guidelines: access.load_rules); the latest messages with their authors; the read
# marker; the watched words.
ROOM_PAGE_STATEMENTS = 5


def _room_page_statements(client, path):
    return statements_of_get(client, path)


def test_room_page_statements_do_not_grow_with_messages_or_authors(app, auth, client, welcome):
    me = member("me@example.org")
    post_message(welcome, member(), "hello")
    auth.login("me@example.org")
    few = _room_page_statements(client, "/rooms/welcome")
    for n in range(30):
        post_message(welcome, member() if n % 3 else me, f"message {n}")
    many = _room_page_statements(client, "/rooms/welcome")
    assert len(many) == len(few) <= ROOM_PAGE_STATEMENTS, (len(few), len(many))
    assert sum("room_guidelines_acceptances" in s for s in many) == 1
