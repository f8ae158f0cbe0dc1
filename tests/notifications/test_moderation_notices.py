"""A moderator hiding someone's message: a notice for the author (in the portal with the room and
reason; by email without them), live on their open socket."""

import sqlalchemy as sa

from portal.extensions import db
from portal.notifications.models import Notification
from portal.security import Role
from tests.rooms.conftest import ack, member, new_id, payloads
from tests.rooms.test_moderation import moderator_post


def test_a_hidden_post_is_a_notice_for_its_author(app, chat, welcome, outbox):
    author, mod = member(display_name="Author"), member(display_name="Mod", roles=(Role.MODERATOR,))
    a, m = chat.connect(author), chat.connect(mod)
    ack(a, "join", {"room": "welcome"})
    sent = ack(a, "send", {"room": "welcome", "body": "something unkind", "client_id": new_id()})["message"]
    a.get_received("/chat")
    response = moderator_post(m, f"/rooms/console/messages/{sent['id']}", {"action": "hide", "reason": "unkind"})
    assert response.status_code == 302
    note = db.session.scalar(sa.select(Notification).filter_by(user_id=author.id))
    assert note.kind == "post_hidden" and note.data == {"room": "Welcome", "reason": "unkind"}
    assert note.url == "/rooms/welcome"
    (event,) = payloads(a, "notification")
    assert event["unread"] == 1 and "unkind" in event["text"]
    (mail,) = [message for message in outbox() if message["To"] == author.email]
    assert "unkind" not in mail.get_content() and "Welcome" not in mail.get_content()
