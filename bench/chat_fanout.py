"""Chat fan-out: N clients in one room, one sender at R msg/s for S seconds, over WebSocket.

Works against the portal (logged-in sessions, the real /chat protocol) and against
bench/hello_app.py (same event shapes, no login). The receivers run as gevent greenlets in
separate load-generator processes (bench/fanout_client.py); the sender is a python-socketio
client in this process. Latency = receive time - send time, same machine clock.

With `reactors` > 0 the timed phase also carries support reactions: that many receivers each
react to one of the latest messages about every `react_every` seconds, and every receiver counts
the `reactions` updates (expected: each acknowledged reaction × the clients in the room).
"""

import json
import math
import subprocess
import sys
import tempfile
import time
import uuid

from bench import harness

CLIENTS_PER_PROCESS = 250


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


class LoadProcess:
    def __init__(self, url, room, count, cookies, reactors=0, react_every=5.0):
        with tempfile.NamedTemporaryFile("w", delete=False, suffix=".cookies") as f:
            f.write("\n".join(cookies))
            self.cookie_file = f.name if cookies else "-"
        react_args = [str(reactors), str(react_every)] if reactors else []
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.fanout_client", url, room, str(count), self.cookie_file, *react_args],
            cwd=harness.ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=harness.raise_own_nofile,
        )

    def wait_ready(self, timeout=600):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("load generator exited before it was ready")
            if line.strip() == "ready":
                return
        raise RuntimeError("load generator not ready in time")

    def command(self, word):
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def count(self):
        return int(self.command("count"))

    def events(self):
        return int(self.command("events"))

    def reacts(self):
        return json.loads(self.command("reacts"))

    def finish(self):
        result = json.loads(self.command("stop"))
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return result

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()


def split(total, parts, i):
    """Part i of `total` spread evenly over `parts`."""
    return total // parts + (1 if i < total % parts else 0)


def start_receivers(urls, room, clients, cookies, reactors=0, react_every=5.0):
    """Spread `clients` receivers (`reactors` of them reacting) over load processes (and over
    `urls`, round robin)."""
    processes = []
    n_procs = max(1, math.ceil(clients / CLIENTS_PER_PROCESS))
    for i in range(n_procs):
        url = urls[i % len(urls)]
        reacting = split(reactors, n_procs, i)
        processes.append(LoadProcess(url, room, split(clients, n_procs, i), cookies, reacting, react_every))
    return processes


def reactions_settled(processes, clients):
    """True once no reaction awaits its ack and every client has every acknowledged update."""
    totals = [p.reacts() for p in processes]
    acked = sum(t["acked"] for t in totals)
    return all(t["pending"] == 0 for t in totals) and sum(t["updates"] for t in totals) >= acked * clients


def run(
    urls,
    *,
    clients,
    rate=5.0,
    seconds=10.0,
    room="welcome",
    sender_cookie=None,
    receiver_cookies=(),
    reactors=0,
    react_every=5.0,
):
    """Returns dict(clients, sent, expected, delivered, duplicates, ratio, p50_ms, p99_ms, connected,
    errors) and, with reactors, reactions_sent/acked and reaction_updates/_expected."""
    if isinstance(urls, str):
        urls = [urls]
    processes = start_receivers(urls, room, clients, list(receiver_cookies), reactors, react_every)
    try:
        for p in processes:
            p.wait_ready()
        settle_seconds = settle(processes)
        headers = {"Cookie": sender_cookie} if sender_cookie else {}
        import socketio

        sender = socketio.Client(reconnection=False)
        sender.connect(urls[0], headers=headers, transports=["websocket"], namespaces=["/chat"], wait_timeout=60)
        ack = sender.call("join", {"room": room, "after_id": None}, namespace="/chat", timeout=120)
        if not ack or not ack.get("ok"):
            raise RuntimeError(f"sender could not join: {ack}")
        total = int(rate * seconds)
        sent_at = {}
        failures = []
        start = time.time()
        for seq in range(total):
            target = start + seq / rate
            delay = target - time.time()
            if delay > 0:
                time.sleep(delay)
            sent_at[seq] = time.time()
            sender.emit(
                "send",
                {"room": room, "body": f"fanout {seq}", "client_id": str(uuid.uuid4())},
                namespace="/chat",
                callback=lambda a, seq=seq: None if a and a.get("ok") else failures.append((seq, a)),
            )
        for p in processes if reactors else ():
            p.command("calm")  # the reactions stop with the messages
        connected = 0
        expected = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = sum(p.count() for p in processes)
            if got >= clients * total and (not reactors or reactions_settled(processes, clients)):
                break
            time.sleep(0.25)
        results = [p.finish() for p in processes]
        sender.disconnect()
    finally:
        for p in processes:
            p.kill()
    latencies = []
    delivered = 0
    errors = []
    totals = dict.fromkeys(("duplicates", "sent", "acked", "updates"), 0)
    for r in results:
        connected += r["connected"]
        errors.extend(r["errors"])
        for key in totals:
            totals[key] += r[key]
        for seq, t in r["received"]:
            if seq in sent_at:
                delivered += 1
                latencies.append((t - sent_at[seq]) * 1000)
    expected = clients * total
    return {
        "clients": clients,
        "connected": connected,
        "sent": total,
        "send_failures": failures[:5],
        "expected": expected,
        "delivered": delivered,
        "duplicates": totals["duplicates"],
        "ratio": delivered / expected if expected else float("nan"),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "errors": errors[:5],
        "settle_s": settle_seconds,
        "reactions_sent": totals["sent"],
        "reactions_acked": totals["acked"],
        "reaction_updates": totals["updates"],
        "reaction_updates_expected": totals["acked"] * clients,
    }


def settle(processes, quiet=2.0, limit=300):
    """Wait until the receivers stop getting events (the portal announces presence to the room
    on every join: N joins send ~N²/2 presence events, which must drain before the timed
    phase). Returns the seconds it took."""
    start = time.monotonic()
    last, last_change = -1, time.monotonic()
    while time.monotonic() - start < limit:
        now = sum(p.events() for p in processes)
        if now != last:
            last, last_change = now, time.monotonic()
        elif time.monotonic() - last_change >= quiet:
            break
        time.sleep(0.25)
    return round(time.monotonic() - start - quiet, 1)
