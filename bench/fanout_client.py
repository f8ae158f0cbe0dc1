"""One load-generator process for the chat benchmarks: K Socket.IO clients as gevent greenlets.

    python -m bench.fanout_client URL ROOM K COOKIE_FILE [REACTORS EVERY]

Protocol with the coordinator (bench/chat_fanout.py): this process prints `ready` once every
client is connected over WebSocket and has joined ROOM; answers `count` with the number of
messages received so far (`events`: every event, presence included); on `storm` every client
disconnects, then all reconnect and join again at once (as after a server restart) and one JSON
line {"start": t, "end": t, "joined": n, "messages": [len, ...], "errors": [...]} says when the
reconnects began and when the last join ack arrived (bench/storm.py); on `stop` prints one JSON line
{"received": [[seq, t], ...], "connected": K, "errors": [...]} and exits.
Messages carry their sequence number in the body ("fanout <seq>"); receive times are
time.time() on this machine (the sender records its send times with the same clock).
With ROOM "-" the clients only connect and idle (the idle-connection benchmark).

With REACTORS > 0, that many of the K clients also send a support reaction (`react`) to one of
the latest messages about every EVERY seconds (jittered), from the first message received until
`calm`; every client counts the `reactions` updates it receives. `reacts` answers
{"sent", "acked", "pending", "updates"} and `stop` adds those keys and "duplicates" (messages a
client received more than once).
"""

from gevent import monkey

monkey.patch_all()

import contextlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402

import gevent  # noqa: E402
import socketio  # noqa: E402
from gevent.fileobject import FileObjectPosix  # noqa: E402

SEQ = re.compile(r"fanout (\d+)")
KINDS = ("support", "thanks", "me_too")


def main():
    logging.basicConfig(level=logging.CRITICAL)
    for name in ("engineio.client", "socketio.client", "websocket"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    url, room, count, cookie_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    reactors, every = (int(sys.argv[5]), float(sys.argv[6])) if len(sys.argv) > 6 else (0, 0.0)
    cookies = [line.strip() for line in open(cookie_file) if line.strip()] if cookie_file != "-" else []  # noqa: SIM115
    received = []
    errors = []
    clients = []
    other_events = [0]
    duplicates = [0]
    recent = deque(maxlen=5)  # ids of the latest messages, the ones people react to
    reacts = {"sent": 0, "acked": 0, "pending": 0, "updates": 0}
    calm = [False]

    def on_other(*_args):
        other_events[0] += 1

    def on_reactions(_data):
        reacts["updates"] += 1

    def message_handler():
        """One per client, so a message a client receives twice is counted as a duplicate."""
        seen = set()

        def on_message(data):
            match = SEQ.search(data.get("body_html", ""))
            if match:
                seq = int(match.group(1))
                if seq in seen:
                    duplicates[0] += 1
                    return
                seen.add(seq)
                received.append((seq, time.time()))
                recent.append(data["id"])

        return on_message

    def on_react_ack(ack):
        reacts["pending"] -= 1
        if ack and ack.get("ok"):
            reacts["acked"] += 1
        else:
            errors.append(f"react: {ack}")

    def react_loop(client):
        """Support reactions at a person's pace, to the latest messages, while messages flow."""
        while not recent and not calm[0]:
            gevent.sleep(0.05)
        pause = random.uniform(0, every)  # noqa: S311 - a load pattern: people start at random moments
        while not calm[0]:
            gevent.sleep(pause)
            pause = random.uniform(0.5, 1.5) * every  # noqa: S311
            if calm[0]:
                break
            reacts["sent"] += 1
            reacts["pending"] += 1
            payload = {"message_id": random.choice(recent), "kind": random.choice(KINDS)}  # noqa: S311
            client.emit("react", payload, namespace="/chat", callback=on_react_ack)

    def connect_and_join(i, errors):
        """A connected client that has joined ROOM, with its join ack; (None, None) on failure."""
        client = socketio.Client(reconnection=False)
        client.on("message", message_handler(), namespace="/chat")
        client.on("reactions", on_reactions, namespace="/chat")
        client.on("presence", on_other, namespace="/chat")
        client.on("typing", on_other, namespace="/chat")
        headers = {"Cookie": cookies[i % len(cookies)]} if cookies else {}
        for attempt in range(5):
            try:
                client.connect(url, headers=headers, transports=["websocket"], namespaces=["/chat"], wait_timeout=60)
                break
            except Exception as exc:  # noqa: BLE001 - retried, then reported
                if attempt == 4:
                    errors.append(f"connect: {exc}")
                    return None, None
                gevent.sleep(0.5 * (attempt + 1))
        ack = None
        if room != "-":
            ack = client.call("join", {"room": room, "after_id": None}, namespace="/chat", timeout=120)
            if not ack or not ack.get("ok"):
                errors.append(f"join: {ack}")
                return None, None
        return client, ack

    def start(i):
        client, _ack = connect_and_join(i, errors)
        if client is not None:
            clients.append(client)

    def storm():
        """Everyone leaves, then everyone reconnects and joins at the same moment."""
        for client in clients:
            with contextlib.suppress(Exception):
                client.disconnect()
        gevent.sleep(2)  # the server forgets the old sockets before the storm
        storm_errors, acks = [], []

        def again(i):
            client, ack = connect_and_join(i, storm_errors)
            if client is not None:
                acks.append(ack)
                fresh.append(client)

        fresh = []
        start_at = time.time()
        gevent.joinall([gevent.spawn(again, i) for i in range(count)])
        end_at = time.time()
        clients[:] = fresh
        messages = [len(ack.get("messages", [])) for ack in acks]
        return {
            "start": start_at,
            "end": end_at,
            "joined": len(acks),
            "messages": messages,
            "errors": storm_errors[:20],
        }

    # connect in small waves so the server's accept queue is not the thing being measured
    for first in range(0, count, 25):
        gevent.joinall([gevent.spawn(start, i) for i in range(first, min(first + 25, count))])
    for client in clients[:reactors]:
        gevent.spawn(react_loop, client)
    print("ready", flush=True)
    stdin = FileObjectPosix(sys.stdin.fileno(), "r", close=False)  # cooperative reads
    line = stdin.readline()
    while line and line.strip() != "stop":
        if line.strip() == "count":
            print(len(received), flush=True)
        elif line.strip() == "events":
            print(len(received) + other_events[0], flush=True)
        elif line.strip() == "storm":
            print(json.dumps(storm()), flush=True)
        elif line.strip() == "calm":
            calm[0] = True
            print("ok", flush=True)
        elif line.strip() == "reacts":
            print(json.dumps(reacts), flush=True)
        line = stdin.readline()
    calm[0] = True
    result = {"received": received, "connected": len(clients), "errors": errors[:20], "duplicates": duplicates[0]}
    result.update(reacts)
    print(json.dumps(result), flush=True)
    for client in clients:
        with contextlib.suppress(Exception):
            client.disconnect()


if __name__ == "__main__":
    main()
