"""Reconnect storm: N clients in one room all reconnect and join again at once, as after a
server restart; the time until every one of them has its join ack with the catch-up.

The room first gets HISTORY messages, so each ack carries the latest 50 (the portal's join:
session, room rules, history, read marker, presence, the joiner's held posts; the bare server
of bench/hello_app.py: the same 50 messages from memory). The clients are gevent greenlets in
load-generator processes (bench/fanout_client.py, command `storm`); the time runs from the
first reconnect to the last join ack, on this machine's clock.
"""

import json
import uuid

import socketio

from bench import chat_fanout

HISTORY = 50


def seed_history(url, room, cookie=None, count=HISTORY):
    """Post `count` messages to the room (each acked) so that every join carries a history."""
    sender = socketio.Client(reconnection=False)
    headers = {"Cookie": cookie} if cookie else {}
    sender.connect(url, headers=headers, transports=["websocket"], namespaces=["/chat"], wait_timeout=60)
    try:
        ack = sender.call("join", {"room": room, "after_id": None}, namespace="/chat", timeout=120)
        if not ack or not ack.get("ok"):
            raise RuntimeError(f"storm: could not join {room}: {ack}")
        for n in range(count):
            body = {"room": room, "body": f"storm history {n}", "client_id": str(uuid.uuid4())}
            ack = sender.call("send", body, namespace="/chat", timeout=60)
            if not ack or not ack.get("ok"):
                raise RuntimeError(f"storm: history message refused: {ack}")
    finally:
        sender.disconnect()


def run(url, *, clients, room, sender_cookie=None, receiver_cookies=()):
    """Returns dict(clients, joined, seconds, fewest_messages, errors, settle_s)."""
    seed_history(url, room, sender_cookie)
    processes = chat_fanout.start_receivers([url], room, clients, list(receiver_cookies))
    try:
        for p in processes:
            p.wait_ready()
        settle_seconds = chat_fanout.settle(processes)
        for p in processes:  # every load process starts its storm at the same moment
            p.proc.stdin.write("storm\n")
            p.proc.stdin.flush()
        results = [json.loads(p.proc.stdout.readline()) for p in processes]
        for p in processes:
            p.finish()
    finally:
        for p in processes:
            p.kill()
    counts = [n for r in results for n in r["messages"]]
    return {
        "clients": clients,
        "joined": sum(r["joined"] for r in results),
        "seconds": max(r["end"] for r in results) - min(r["start"] for r in results),
        "fewest_messages": min(counts, default=0),
        "errors": [e for r in results for e in r["errors"]][:5],
        "settle_s": settle_seconds,
    }
