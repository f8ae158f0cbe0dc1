"""One load-generator process of the mixed-load benchmark: Locust users on gevent.

    python -m bench.mixed_load CONFIG.json

Locust is used as a library (its User classes, tasks, think times and request statistics; no
web UI and no master): bench/mixed.py starts one or more of these processes, each with its own
interpreter and GIL, and drives them over stdin/stdout:

- `spawn F M C` → start users until this process runs F families, M moderators and C
  counselors (SPAWN_RATE a second, each signs in once); answers one JSON line once every new
  user has signed in, opened its socket and joined its room (or failed: counted as errors);
- `window` → forget the statistics so far (the timed window of a ramp step starts); answers `ok`;
- `report` → one JSON line: page statistics since `window`, errors, the chat messages sent and
  received, each socket's room and join time;
- `stop` → stops every user and exits.

Chat delivery: a family's socket records each `message` event as (client_id, family, time);
the senders record (client_id, room, send time, ack time, ok); bench/mixed.py matches them on
the same machine clock and counts what was lost or duplicated.
"""

from gevent import monkey

monkey.patch_all()  # first, as Locust itself does on import

import contextlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import gevent  # noqa: E402
import locust  # noqa: E402
import socketio  # noqa: E402
from gevent.fileobject import FileObjectPosix  # noqa: E402
from gevent.pool import Group  # noqa: E402
from locust import HttpUser, task  # noqa: E402
from locust.env import Environment  # noqa: E402

from bench import mixed_pages  # noqa: E402

SPAWN_RATE = 10.0
CONFIG = {}


class Recorder:
    """What this process saw: errors, chat sends and receipts, sockets' rooms and join times."""

    def __init__(self):
        self.errors = []
        self.error_count = 0
        self.sent = []
        self.received = []
        self.joined = {}
        self.disconnects = 0

    def error(self, text):
        self.error_count += 1
        if len(self.errors) < 20:
            self.errors.append(text[:300])

    def reset_window(self):
        self.errors, self.error_count, self.sent, self.received = [], 0, [], []


REC = Recorder()


def think(low, high):
    """A person's pause, scaled (the quick run shortens every pause)."""
    gevent.sleep(random.uniform(low, high) * CONFIG.get("think_scale", 1.0))  # noqa: S311


class PortalUser(HttpUser):
    """A signed-in person: pages through Locust's HTTP client, every response checked."""

    abstract = True
    email = None

    def __init__(self, environment, email, base):
        self.host = base
        super().__init__(environment)
        self.email = email
        self.csrf = None
        self.cached = set()  # the static files this person's browser holds
        # A new connection for each request, as a browser after the server's 5 s keep-alive:
        # reusing one the server is closing at that moment would count as an error.
        self.client.headers["Connection"] = "close"

    def request(self, method, path, name, expect=(200,), **kwargs):
        """One page or form post (redirects not followed: a login redirect is a failure; an answer
        that takes over 60 s is one too, so a request that hangs cannot leave the window unjudged)."""
        kwargs.setdefault("timeout", 60)
        with self.client.request(
            method, path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code in expect:
                response.success()
            else:
                where = response.headers.get("Location", "")
                response.failure(f"{response.status_code} {where}")
                REC.error(f"{self.email} {method} {path}: {response.status_code} {where}")
        for cookie in self.client.cookies:  # the portal's cookies are Secure; this is plain http
            cookie.secure = False
        self.csrf = mixed_pages.csrf_token(response.text) or self.csrf
        if response.status_code == 200 and response.headers.get("Content-Type", "").startswith("text/html"):
            self.fetch_static_files(response.text)
        return response

    def fetch_static_files(self, html):
        """What a browser fetches after the page: the files it names that its cache lacks. The
        portal's URLs carry each file's version and may be kept a year (portal/static_assets.py),
        so a person fetches each one once per visit."""
        for path in mixed_pages.static_files(html):
            if path not in self.cached:
                self.cached.add(path)
                self.request("GET", path, mixed_pages.STATIC_FILES)

    def on_start(self):
        """Sign in once; a person who cannot stops (the failed sign-in is counted as an error)."""
        if not self.sign_in():
            raise locust.exception.StopUser
        self.ready = True

    def sign_in(self):
        self.request("GET", "/auth/login", "sign in: form")
        password = CONFIG["password"]
        data = {"email": self.email, "password": password, "csrf_token": self.csrf}
        response = self.request("POST", "/auth/login", "sign in: post", expect=(302, 303), data=data)
        return response.status_code in (302, 303)

    def cookie_header(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.client.cookies)

    def post_form(self, path, name, data, expect=(302, 303), **kwargs):
        return self.request("POST", path, name, expect=expect, data={**data, "csrf_token": self.csrf}, **kwargs)


class Family(PortalUser):
    """Signs in once, reads a lesson, answers its check, opens the agenda, answers a session's
    invitation, sits in a room with the socket open, reads, and now and then posts or flags."""

    def __init__(self, environment, email, base, room):
        super().__init__(environment, email, base)
        self.room = room
        self.sio = None
        self.recent = []
        self.ready = False

    def on_start(self):
        if not self.sign_in():
            raise locust.exception.StopUser
        self.connect_socket()
        self.ready = True
        if random.random() < CONFIG.get("start_in_room", 0.5):  # noqa: S311
            # People arrive at different points of their visit: half begin in their room, so
            # that chat flows from the first window on (else nobody posts for 1–2 minutes).
            self.sit_in_room()

    def connect_socket(self):
        sio = socketio.Client(reconnection=False)
        sio.on("message", self.on_message, namespace="/chat")
        sio.on("disconnect", self.on_disconnect, namespace="/chat")
        try:
            sio.connect(
                self.host,
                headers={"Cookie": self.cookie_header()},
                transports=["websocket"],
                namespaces=["/chat"],
                wait_timeout=60,
            )
            ack = sio.call("join", {"room": self.room, "after_id": None}, namespace="/chat", timeout=60)
        except Exception as exc:  # noqa: BLE001 - counted as an error
            REC.error(f"{self.email} socket: {exc}")
            raise locust.exception.StopUser from exc
        if not ack or not ack.get("ok"):
            REC.error(f"{self.email} join: {ack}")
            raise locust.exception.StopUser
        self.sio = sio
        REC.joined[self.email] = (self.room, time.time())

    def on_message(self, data):
        REC.received.append((data.get("client_id"), self.email, time.time()))
        self.recent = [*self.recent[-4:], data.get("id")]

    def on_disconnect(self, *_args):
        if self.ready and not getattr(self, "stopping", False):
            REC.disconnects += 1
            REC.error(f"{self.email} socket dropped by the server")
            REC.joined.pop(self.email, None)

    def on_stop(self):
        self.stopping = True
        if self.sio is not None:
            with contextlib.suppress(Exception):
                self.sio.disconnect()

    @task
    def visit(self):
        lesson = random.choice(CONFIG["lessons"])  # noqa: S311
        page = self.request("GET", f"/lessons/read/{lesson}", "lesson page")
        think(15, 45)
        answer = mixed_pages.answer_form(page.text, random.randrange(4))  # noqa: S311
        if answer:
            self.post_form(
                f"/lessons/read/{lesson}/answer",
                "lesson check: answer",
                answer,
                expect=(200,),
                headers={"Accept": "application/json"},
            )
            think(5, 15)
        agenda = self.request("GET", "/calendar/", "calendar agenda")
        think(5, 15)
        path = mixed_pages.session_path(agenda.text)
        if path:
            session = self.request("GET", path, "session page")
            think(5, 10)
            reply = mixed_pages.rsvp_form(session.text, random.randrange(3))  # noqa: S311
            if reply:
                self.post_form(f"{path}/rsvp", "session: RSVP", reply)
            else:
                REC.error(f"{self.email}: no RSVP form on {path}")
            think(3, 8)
        self.request("GET", f"/rooms/{self.room}", "room page")
        self.sit_in_room()

    def sit_in_room(self):
        """Read for a while; now and then post a message or flag one."""
        for _ in range(random.randint(3, 6)):  # noqa: S311
            think(15, 30)
            roll = random.random()  # noqa: S311
            if roll < CONFIG["post_chance"]:
                self.post_message()
            elif roll < CONFIG["post_chance"] + CONFIG["flag_chance"] and self.recent:
                self.flag_message()

    def post_message(self):
        client_id = str(uuid.uuid4())
        sent_at = time.time()
        try:
            ack = self.sio.call(
                "send",
                {"room": self.room, "body": "Thinking of everyone here tonight.", "client_id": client_id},
                namespace="/chat",
                timeout=30,
            )
        except Exception as exc:  # noqa: BLE001
            ack = {"ok": False, "error": str(exc)}
        ok = bool(ack and ack.get("ok"))
        REC.sent.append((client_id, self.room, sent_at, time.time(), ok))
        if not ok:
            REC.error(f"{self.email} send: {ack}")

    def flag_message(self):
        message_id = self.recent[-1]
        try:
            ack = self.sio.call(
                "flag", {"message_id": message_id, "reason": "bench: please look"}, namespace="/chat", timeout=30
            )
        except Exception as exc:  # noqa: BLE001
            ack = {"ok": False, "error": str(exc)}
        if not ack or not ack.get("ok"):
            REC.error(f"{self.email} flag: {ack}")


class Moderator(PortalUser):
    """Keeps the console open (reloads it) and dismisses the flags in the queue."""

    @task
    def review(self):
        console = self.request("GET", "/rooms/console", "moderation console")
        for flag_id in mixed_pages.open_flags(console.text)[:3]:
            think(3, 8)
            self.post_form(f"/rooms/console/flags/{flag_id}/dismiss", "console: dismiss a flag", {})
        think(15, 30)


class Counselor(PortalUser):
    """Changes a session of the demo client's weekly series (its families are told) and posts
    a lesson assignment to the demo client's family."""

    changes = 0

    @task
    def work(self):
        series = self.request("GET", f"/calendar/manage/{CONFIG['weekly_series_id']}", "counselor: series page")
        sessions = mixed_pages.managed_sessions(series.text)
        think(10, 20)
        if sessions:
            path = sessions[min(len(sessions) - 1, 1)]  # the next session but one
            self.request("GET", path, "counselor: session page")
            think(10, 20)
            Counselor.changes += 1
            self.post_form(f"{path}/change", "counselor: change a session", mixed_pages.change_form(Counselor.changes))
        else:
            REC.error("counselor: no session link on the series page")
        think(20, 40)
        assign = self.request("GET", f"/lessons/clients/{CONFIG['client_id']}/assign", "counselor: assign page")
        data = mixed_pages.assign_form(assign.text, random.randrange(50))  # noqa: S311
        if data is None:
            REC.error("counselor: no family member or lesson on the assignment page")
        else:
            think(10, 20)
            self.post_form(f"/lessons/clients/{CONFIG['client_id']}/assign", "counselor: post an assignment", data)
        think(30, 60)


def main():
    logging.basicConfig(level=logging.CRITICAL)
    CONFIG.update(json.load(open(sys.argv[1])))  # noqa: SIM115
    env = Environment(user_classes=[Family, Moderator, Counselor], catch_exceptions=True)
    env.create_local_runner()  # its listener keeps the request statistics; users are started below
    env.events.user_error.add_listener(lambda user_instance, exception, tb: REC.error(f"task: {exception!r}"))
    group = Group()
    users = {"families": [], "moderators": [], "counselors": []}
    stdin = FileObjectPosix(sys.stdin.fileno(), "r", close=False)
    line = stdin.readline()
    while line and line.strip() != "stop":
        words = line.split()
        if words[0] == "spawn":
            print(json.dumps(spawn(env, group, users, *map(int, words[1:]))), flush=True)
        elif words[0] == "window":
            env.stats.reset_all()
            REC.reset_window()
            print("ok", flush=True)
        elif words[0] == "report":
            print(json.dumps(report(env)), flush=True)
        line = stdin.readline()
    for user in [u for kind in users.values() for u in kind]:
        with contextlib.suppress(Exception):
            user.stop(force=True)
    group.kill(block=False)
    print(json.dumps({"stopped": True}), flush=True)


def spawn(env, group, users, families, moderators, counselors):
    """Start the missing users (SPAWN_RATE a second); wait until each has signed in and joined."""
    urls, fams = CONFIG["urls"], CONFIG["families"]
    started = []
    while len(users["families"]) < min(families, len(fams)):
        i = len(users["families"])
        email, room = fams[i]
        started.append(Family(env, email, urls[i % len(urls)], room))
        users["families"].append(started[-1])
    for kind, cls, count, email in (
        ("moderators", Moderator, moderators, "moderator@example.org"),
        ("counselors", Counselor, counselors, "counselor@example.org"),
    ):
        while len(users[kind]) < count:
            started.append(cls(env, email, urls[len(users[kind]) % len(urls)]))
            users[kind].append(started[-1])
    for user in started:
        user.ready = False
        user.start(group)
        gevent.sleep(1 / CONFIG.get("spawn_rate", SPAWN_RATE))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(u.ready or u.greenlet.dead for u in started):
        gevent.sleep(0.2)
    ready = {kind: sum(1 for u in group_ if u.ready) for kind, group_ in users.items()}
    return {"ready": ready, "started": len(started), "errors": REC.errors[:5]}


def report(env):
    pages = {}
    for (name, method), entry in env.stats.entries.items():
        pages[f"{method} {name}"] = {
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "response_times": {str(k): v for k, v in entry.response_times.items()},
        }
    return {
        "pages": pages,
        "errors": REC.errors,
        "error_count": REC.error_count,
        "sent": REC.sent,
        "received": REC.received,
        "joined": REC.joined,
        "disconnects": REC.disconnects,
    }


if __name__ == "__main__":
    main()
