"""The room page when the server has a passing fault (issue 17): a message answered
`unavailable` stays in the outbox, shown as pending, and is sent again by itself."""

import redis

from portal import errors
from portal.extensions import db
from portal.rooms import ratelimit
from portal.rooms.models import Message
from tests.e2e.test_rooms import _send, _wait_online, people  # noqa: F401 - fixture


def test_a_message_answered_unavailable_stays_in_the_outbox_and_is_sent_again(people, open_page, monkeypatch):  # noqa: F811
    monkeypatch.setattr(errors, "RETRY_AFTER", 1)
    calls = []
    real_take = ratelimit.take

    def redis_away_once(user_id):
        calls.append(user_id)
        if len(calls) == 1:
            raise redis.exceptions.ConnectionError("Redis is away")
        return real_take(user_id)

    monkeypatch.setattr(ratelimit, "take", redis_away_once)
    alice, bea = open_page("alice@example.org"), open_page("bea@example.org")
    _wait_online(alice)
    _wait_online(bea)
    _send(alice, "Sent again after a passing fault")
    bea.locator(".msg-body", has_text="Sent again after a passing fault").wait_for()
    alice.locator("li.msg[data-id]", has_text="Sent again after a passing fault").wait_for()
    alice.locator("li.pending").wait_for(state="detached")
    assert len(calls) >= 2
    assert alice.input_value("#composer-body") == ""  # not handed back as refused
    assert bea.locator(".msg-body", has_text="Sent again after a passing fault").count() == 1
    db.session.expire_all()
    assert db.session.query(Message).filter_by(body="Sent again after a passing fault").count() == 1
