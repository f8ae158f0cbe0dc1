"""Two server processes, one portal (issue 7; docs/architecture.md, real components).

Starts two gunicorn processes (production config, gevent worker) on two ports that share one
fresh PostgreSQL database and one Redis (a key prefix of this run's own; only those keys are
deleted afterwards). The schema is built the way a deployment builds it (`flask db upgrade`,
see bench/schema.py) and the demo data is loaded. Then, over real WebSockets:

- a message sent by a client of process A reaches a client of process B;
- a moderator's action on process A removes the message on process B (`message_removed`),
  and from a join's messages on either process, though both had just served it;
- presence and unread counts are the same whichever process answers;
- the chat rate limit counts sends made through both processes together;
- a private check-in started on process A reaches its member on process B live, and the
  member's answer reaches a counselor on process B (`checkin_post`).
"""

import queue
import re
import uuid

import pytest

from bench import harness
from tests.support.faults import SERVER_AND_REDIS_MARKS

pytestmark = SERVER_AND_REDIS_MARKS

FAMILY = "family@example.org"  # linked to the demo client
FAMILY2 = "family2@example.org"  # linked to no one; still a family member of the welcome room
MODERATOR = "moderator@example.org"
COUNSELOR = "counselor@example.org"
ROOM = "welcome"
WAIT = 20  # seconds to wait for an event that must come


@pytest.fixture(scope="module")
def portal_pair(tmp_path_factory):
    with (
        harness.postgres_database("fb_multi") as url,
        harness.redis_namespace() as prefix,
        harness.server_pair(
            url,
            redis_url=harness.redis_server_url(),
            redis_prefix=prefix,
            instance=tmp_path_factory.mktemp("instance"),
            log_dir=tmp_path_factory.mktemp("logs"),
        ) as pair,
    ):
        yield pair


class Chat:
    """A signed-in person with one WebSocket connection to one process; events are queued."""

    EVENTS = ("message", "message_removed", "presence", "typing", "room_updated", "support", "checkin_post")

    def __init__(self, server, email):
        self.server = server
        self.http = harness.login(server.url, email)
        self.events = {name: queue.Queue() for name in self.EVENTS}
        handlers = {name: self._queue_for(name) for name in self.EVENTS}
        self.sio = harness.socket_client(server.url, self.http, handlers=handlers)

    def _queue_for(self, name):
        return lambda data: self.events[name].put(data)

    def call(self, event, payload):
        return self.sio.call(event, payload, namespace="/chat", timeout=WAIT)

    def join(self, room=ROOM, after_id=None):
        ack = self.call("join", {"room": room, "after_id": after_id})
        assert ack["ok"] is True, f"join {room} on {self.server.name}: {ack}"
        return ack

    def send(self, body):
        return self.call("send", {"room": ROOM, "body": body, "client_id": str(uuid.uuid4())})

    def next_event(self, name, predicate=lambda data: True):
        """The next `name` event that satisfies predicate (others are skipped)."""
        while True:
            try:
                data = self.events[name].get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no matching {name!r} event on process {self.server.name}") from None
            if predicate(data):
                return data

    def close(self):
        self.sio.disconnect()


@pytest.fixture
def chats(portal_pair):
    opened = []

    def open_chat(server, email):
        chat = Chat(server, email)
        opened.append(chat)
        return chat

    yield open_chat
    for chat in opened:
        chat.close()


def test_both_processes_serve_the_same_database(portal_pair):
    a, b = portal_pair
    assert a.proc.pid != b.proc.pid
    for server in (a, b):
        health = harness.browser_session().get(f"{server.url}/healthz", timeout=10).json()
        assert {k: health[k] for k in ("status", "database")} == {"status": "ok", "database": "ok"}
    # a session started on A is valid on B (server-side session records in PostgreSQL)
    session = harness.login(a.url, FAMILY)
    page = session.get(f"{b.url}/rooms/", timeout=30, allow_redirects=False)
    assert page.status_code == 200


def test_a_message_sent_on_a_reaches_b_and_removal_on_a_reaches_b(portal_pair, chats):
    a, b = portal_pair
    sender = chats(a, FAMILY)
    reader = chats(b, FAMILY2)
    sender.join()
    reader.join()

    ack = sender.send("Hello from process A")
    assert ack["ok"] is True, ack
    sent = ack["message"]
    received = reader.next_event("message", lambda m: m["id"] == sent["id"])
    assert received["room"] == ROOM
    assert "Hello from process A" in received["body_html"]
    assert received["author"] == sent["author"]
    # both processes serve it in a join's latest messages (were either to keep a copy of a
    # room's history, this is when it would be taken)
    for chat in (sender, reader):
        assert sent["id"] in [m["id"] for m in chat.join()["messages"]]

    # the moderator works on process A (HTTP console); the reader on B sees the removal
    moderator = harness.login(a.url, MODERATOR)
    token = harness.csrf_token(moderator, f"{a.url}/rooms/console")
    response = moderator.post(
        f"{a.url}/rooms/console/messages/{sent['id']}",
        data={"action": "hide", "reason": "Testing removal across processes", "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code in (302, 303)
    removed = reader.next_event("message_removed", lambda d: d["id"] == sent["id"])
    assert removed == {"id": sent["id"], "room": ROOM}
    # and the sender, on A, sees it too
    sender.next_event("message_removed", lambda d: d["id"] == sent["id"])
    # a reader who reconnects to either process no longer gets it: not in a catch-up, not in
    # the latest messages
    for chat in (sender, reader):
        for after_id in (sent["id"] - 1, None):
            history = chat.join(after_id=after_id)
            assert sent["id"] not in [m["id"] for m in history["messages"]]


def test_presence_agrees_across_processes(portal_pair, chats):
    a, b = portal_pair
    on_a = chats(a, FAMILY)
    on_b = chats(b, FAMILY2)
    ack_a = on_a.join()
    ack_b = on_b.join()
    # B joined second: its answer already counts the person connected to A
    assert len(ack_b["room"]["online"]) == 2, ack_b["room"]["online"]
    names = set(ack_b["room"]["online"])
    assert set(ack_a["room"]["online"]) <= names
    # A hears about B's arrival through Redis
    on_a.next_event("presence", lambda d: d["room"] == ROOM and set(d["online"]) == names)
    # the rooms page shows the same number of people online from either process
    viewer = harness.login(a.url, FAMILY2)
    assert _online_counts(viewer, a.url) == _online_counts(viewer, b.url)
    assert 2 in _online_counts(viewer, b.url).values()

    # B leaves: A hears it
    on_b.close()
    on_a.next_event("presence", lambda d: d["room"] == ROOM and len(d["online"]) == 1)


def test_unread_counts_agree_across_processes(portal_pair, chats):
    a, b = portal_pair
    reader = harness.login(b.url, FAMILY2)
    before_a, before_b = _unread_counts(reader, a.url), _unread_counts(reader, b.url)
    assert before_a == before_b

    sender = chats(a, FAMILY)
    sender.join()
    for n in range(2):
        assert sender.send(f"Unread check {n}")["ok"] is True

    after_a, after_b = _unread_counts(reader, a.url), _unread_counts(reader, b.url)
    assert after_a == after_b
    assert sum(after_b.values()) == sum(before_b.values()) + 2


def test_a_check_in_reaches_the_member_and_a_counselor_on_the_other_process(portal_pair, chats):
    a, b = portal_pair
    member = chats(b, FAMILY)
    counselor = chats(b, COUNSELOR)  # counselors open a socket for check-ins only
    member.join()
    sent = member.send("A rough week, honestly")
    message_id = sent["message"]["id"] if sent["ok"] else sent["id"]  # a held message is fine

    moderator = harness.login(a.url, MODERATOR)
    start = f"{a.url}/rooms/console/checkins/new/{message_id}"
    body = {"body": "Checking in from process A", "csrf_token": harness.csrf_token(moderator, start)}
    assert moderator.post(start, data=body, allow_redirects=False, timeout=30).status_code in (302, 303)
    first = member.next_event("checkin_post", lambda p: "process A" in p["body_html"])
    assert counselor.next_event("checkin_post", lambda p: p["id"] == first["id"])["staff"] is True

    thread = f"{a.url}/rooms/checkins/{first['checkin']}"
    body = {"body": "Thank you, I am safe", "csrf_token": harness.csrf_token(member.http, thread)}
    assert member.http.post(thread, data=body, allow_redirects=False, timeout=30).status_code in (302, 303)
    answer = counselor.next_event("checkin_post", lambda p: "I am safe" in p["body_html"])
    assert answer["checkin"] == first["checkin"] and answer["staff"] is False
    posts = counselor.call("checkin_posts", {"checkin": first["checkin"]})
    assert [p["id"] for p in posts["posts"]] == [first["id"], answer["id"]]


def test_chat_rate_limit_counts_both_processes_together(portal_pair, chats):
    """Five sends per ten seconds per person: sends alternate between the two processes; the
    limit must be reached after at most five accepted sends in total (per-process counting
    would accept five on each), and then both processes refuse."""
    a, b = portal_pair
    via_a = chats(a, FAMILY2)
    via_b = chats(b, FAMILY2)
    for chat in (via_a, via_b):
        chat.join()

    accepted, refused_by = 0, set()
    for n in range(12):
        chat = (via_a, via_b)[n % 2]
        ack = chat.send(f"Rate limit check {n}")
        if ack["ok"]:
            accepted += 1
            assert not refused_by, "a send was accepted after the limit was reached"
        else:
            assert ack["error"] == "rate_limited", ack
            assert ack["retry_after"] >= 1
            refused_by.add(chat.server.name)
        if refused_by == {"A", "B"}:
            break
    assert refused_by == {"A", "B"}
    assert 1 <= accepted <= 5


# --- page parsing ---------------------------------------------------------------------------

_ROOM_BLOCK = re.compile(r'href="/rooms/([a-z0-9-]+)"(.*?)(?=href="/rooms/[a-z0-9-]+"|</main>)', re.S)
_UNREAD = re.compile(r"(\d+) new messages?")
_ONLINE = re.compile(r"(\d+) (?:person|people) online")


def _rooms_page(session, base_url):
    response = session.get(f"{base_url}/rooms/", timeout=30, allow_redirects=False)
    assert response.status_code == 200
    return response.text


def _per_room(session, base_url, pattern):
    counts = {}
    for slug, block in _ROOM_BLOCK.findall(_rooms_page(session, base_url)):
        match = pattern.search(block)
        if match and slug not in counts:
            counts[slug] = int(match.group(1))
    assert counts, "the rooms page lists no rooms with counts"
    return counts


def _unread_counts(session, base_url):
    return _per_room(session, base_url, _UNREAD)


def _online_counts(session, base_url):
    return _per_room(session, base_url, _ONLINE)
