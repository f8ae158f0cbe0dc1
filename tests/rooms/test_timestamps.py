"""Chat shows one timestamp format — medium date, short time — in the reader's locale and time zone."""

from datetime import UTC, datetime

from portal.extensions import db
from portal.rooms.models import Message
from portal.rooms.services import post_message
from tests.rooms.conftest import member, new_id


def _posted_at(room, author, when):
    message = post_message(author, room, "hello there", new_id(), lambda _user_id: 0).message
    db.session.get(Message, message.id).created_at = when
    db.session.commit()


def test_history_uses_the_same_format_as_live_messages(app, auth, client, welcome):
    reader = member("me@example.org")
    reader.timezone = "America/Los_Angeles"
    db.session.commit()
    _posted_at(welcome, member(), datetime(2026, 11, 30, 15, 14, tzinfo=UTC))
    auth.login("me@example.org")
    page = client.get("/rooms/welcome").get_data(as_text=True)
    assert ">Nov 30, 2026, 7:14 AM</time>" in page  # a plain space before AM, as browsers' Intl writes it
    assert "11/30/26" not in page


def test_spanish_reader_sees_spanish_dates(app, auth, client, welcome):
    app.config["LANGUAGES"] = ["en", "es"]
    reader = member("me@example.org")
    reader.locale = "es"
    reader.timezone = "America/Mexico_City"
    db.session.commit()
    _posted_at(welcome, member(), datetime(2026, 11, 30, 15, 14, tzinfo=UTC))
    auth.login("me@example.org")
    page = client.get("/rooms/welcome").get_data(as_text=True)
    assert "30 nov 2026, 9:14</time>" in page
