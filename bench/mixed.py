"""Mixed-load capacity: how many concurrent active families the portal holds within its
service levels, on one process and on two processes sharing Redis.

Simulated people (Locust users in load-generator processes, bench/mixed_load.py):

- **families** (the number that ramps): sign in once, read a lesson, answer its check, open
  the agenda, open a session and answer its invitation, open a room page, then sit in the
  room with the socket open for 1–3 minutes, reading, posting now and then (POST_CHANCE at
  each pause) or flagging a message (FLAG_CHANCE), and start over;
- **moderators** (one for every FAMILIES_PER_MODERATOR families, at least one): keep the
  moderation console open (reload it every 15–30 s) and dismiss the flags in the queue;
- **counselors** (one for every FAMILIES_PER_COUNSELOR, at least one): change a session of
  the demo client's weekly series (its families are told) and post a lesson assignment.

The ramp holds each step (STEPS families) for a timed window after everyone has signed in and
joined, and stops at the first step whose service level breaks (`broken`): page p95 over
PAGE_P95_MS, chat delivery p99 over CHAT_P99_MS, any error, any message lost or duplicated,
or a revocation that did not take effect on the very next request and socket event (one probe
per step: bench/mixed.py `revocation_probe`). The largest step that held is the capacity.

The functions at the top (percentiles, delivery accounting, the verdict, the chart) are pure
and tested in tests/test_bench_mixed.py; the rest drives servers and processes.
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import mixed_pages

PAGE_P95_MS = 300
CHAT_P99_MS = 200
CHART_CEILING_MS = 4 * PAGE_P95_MS  # the ramp chart's scale (svg_chart)
STEPS = (100, 200, 400, 550, 700, 1000, 1500, 2000, 2500, 3000, 4000)
QUICK_STEPS = (20, 40)
GOAL_FAMILIES = 2000
FAMILIES_PER_MODERATOR = 500
FAMILIES_PER_COUNSELOR = 250
POST_CHANCE = 0.15
FLAG_CHANCE = 0.01
FAMILIES_PER_LOAD_PROCESS = int(os.environ.get("BENCH_MIXED_PER_PROCESS", "1000"))  # fewer: to test the split
MAX_LOAD_PROCESSES = 4
SIGN_IN_PAGES = ("GET sign in: form", "POST sign in: post")
# Not in the page time: sign-in (while users arrive, before the window) and the static files a
# page names (a few ms each; fetched once per visit, they would pull the page p95 down).
UNTIMED = (*SIGN_IN_PAGES, f"GET {mixed_pages.STATIC_FILES}")


def load_generator():
    """Named without importing Locust here (its import patches this process for gevent)."""
    from importlib.metadata import version

    return f"Locust {version('locust')} (users in load processes of their own)"


# --- pure: statistics, accounting, verdict -----------------------------------------------------


def staff_for(families):
    """(moderators, counselors) for a number of families."""
    return max(1, math.ceil(families / FAMILIES_PER_MODERATOR)), max(1, math.ceil(families / FAMILIES_PER_COUNSELOR))


def merge_histograms(histograms):
    """Locust keeps response times as {rounded ms: count}; several processes' add up."""
    out = {}
    for histogram in histograms:
        for ms, count in histogram.items():
            out[float(ms)] = out.get(float(ms), 0) + count
    return out


def histogram_percentile(histogram, p):
    """The p-th percentile of a {ms: count} histogram (NaN when empty)."""
    total = sum(histogram.values())
    if not total:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= rank:
            return ms
    return max(histogram)


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def page_summary(reports):
    """Page time p95 over every page and form post of the window (not UNTIMED), with counts and
    failures per page (static files included)."""
    per_page = {}
    for report in reports:
        for name, entry in report["pages"].items():
            row = per_page.setdefault(name, {"count": 0, "failures": 0, "histograms": []})
            row["count"] += entry["count"]
            row["failures"] += entry["failures"]
            row["histograms"].append(entry["response_times"])
    timed = [h for name, row in per_page.items() if name not in UNTIMED for h in row["histograms"]]
    merged = merge_histograms(timed)
    return {
        "p95_ms": histogram_percentile(merged, 95),
        "p50_ms": histogram_percentile(merged, 50),
        "count": sum(row["count"] for name, row in per_page.items() if name not in UNTIMED),
        "failures": sum(row["failures"] for row in per_page.values()),
        "per_page": {
            name: {
                "count": row["count"],
                "failures": row["failures"],
                "p95_ms": histogram_percentile(merge_histograms(row["histograms"]), 95),
            }
            for name, row in sorted(per_page.items())
        },
    }


def delivery(sent, received, joined):
    """Match chat sends with receipts on one clock.

    sent: [(client_id, room, sent_at, acked_at, ok)]; received: [(client_id, family, at)];
    joined: {family: (room, joined_at)} for the sockets still open. A message is expected at
    every socket that had joined its room before it was sent (the sender's own included: the
    room is told of every message). Returns expected, delivered, lost, duplicates, p50/p99 ms.
    """
    by_room = {}
    for family, (room, at) in joined.items():
        by_room.setdefault(room, []).append((family, at))
    receipts = {}
    for client_id, family, at in received:
        receipts.setdefault((client_id, family), []).append(at)
    expected = delivered = duplicates = 0
    latencies, per_message = [], []
    for client_id, room, sent_at, acked_at, ok in sent:
        if not ok:
            continue
        own = []
        for family, joined_at in by_room.get(room, ()):
            if joined_at >= sent_at:
                continue
            expected += 1
            times = receipts.get((client_id, family), [])
            if times:
                delivered += 1
                duplicates += len(times) - 1
                own.append((min(times) - sent_at) * 1000)
        latencies.extend(own)
        if own:
            per_message.append((sent_at, (acked_at - sent_at) * 1000, percentile(own, 50), max(own)))
    return {
        "messages": sum(1 for s in sent if s[4]),
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "duplicates": duplicates,
        # the messages whose slowest delivery was slowest: (sent at, ack ms, median ms, slowest ms),
        # to tell one late message (a commit or a stalled process) from a general slowness
        "slowest": sorted(per_message, key=lambda m: -m[3])[:5],
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
    }


def broken(step):
    """The service levels a step broke (an empty list: it held)."""
    reasons = []
    pages, chat = step["pages"], step["chat"]
    if step["ready"] < step["target"]:
        reasons.append(
            f"{step['target'] - step['ready']} families not signed in and joined 2 min after the last arrived"
        )
    if step.get("staff_missing"):
        reasons.append(f"{step['staff_missing']} moderators or counselors not signed in 2 min after the last arrived")
    if not pages["p95_ms"] <= PAGE_P95_MS:
        reasons.append(f"page p95 {pages['p95_ms']:.0f} ms > {PAGE_P95_MS} ms")
    if chat["p99_ms"] == chat["p99_ms"] and chat["p99_ms"] > CHAT_P99_MS:
        reasons.append(f"chat p99 {chat['p99_ms']:.0f} ms > {CHAT_P99_MS} ms")
    if step["errors"]:
        reasons.append(f"{step['errors']} errors")
    if chat["lost"]:
        reasons.append(f"{chat['lost']} deliveries lost")
    if chat["duplicates"]:
        reasons.append(f"{chat['duplicates']} deliveries duplicated")
    if not step["revocation"]["ok"]:
        reasons.append(f"revocation: {step['revocation']['detail']}")
    return reasons


def capacity(steps):
    """(largest target that held before the first broken step, that broken step or None)."""
    held = 0
    for step in steps:
        if broken(step):
            return held, step
        held = step["target"]
    return held, None


def svg_chart(series, width=640, height=320):
    """A small line chart of the ramp: page p95 and chat p99 per step for each configuration,
    the service levels as dashed lines, broken steps as red dots. series: {label: [step, ...]}.
    Written by hand (no plotting dependency for a handful of points)."""
    pad_l, pad_r, pad_t, pad_b = 56, 16, 28, 44
    points = [s for steps in series.values() for s in steps]
    x_max = max([s["target"] for s in points] or [1])
    values = [v for s in points for v in (s["pages"]["p95_ms"], s["chat"]["p99_ms"]) if v == v]
    # A step far past the knee (seconds) would flatten every step before it: the scale stops at
    # CHART_CEILING_MS, and a point above it sits on the top edge with its value written beside it.
    y_max = min(max([PAGE_P95_MS * 1.4, *values]), CHART_CEILING_MS) * 1.05

    def x(v):
        return pad_l + (width - pad_l - pad_r) * v / x_max

    def y(v):
        return height - pad_b - (height - pad_t - pad_b) * min(v, y_max) / y_max

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{pad_l}" y="16" font-size="13">Mixed load: page p95 and chat p99 by concurrent families</text>',
        f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - pad_r}" y2="{height - pad_b}" stroke="black"/>',
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{height - pad_b}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle">concurrent families</text>',
        f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle">ms</text>',
    ]
    for tick in range(0, int(y_max) + 1, 100 if y_max < 1200 else 500):
        out.append(f'<text x="{pad_l - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for s in sorted({s["target"] for s in points}):
        out.append(f'<text x="{x(s):.1f}" y="{height - pad_b + 14}" text-anchor="middle">{s}</text>')
    for level, label in ((PAGE_P95_MS, "page p95 level"), (CHAT_P99_MS, "chat p99 level")):
        out.append(
            f'<line x1="{pad_l}" y1="{y(level):.1f}" x2="{width - pad_r}" y2="{y(level):.1f}" '
            f'stroke="gray" stroke-dasharray="4 3"/><text x="{width - pad_r - 2}" y="{y(level) - 3:.1f}" '
            f'text-anchor="end" fill="gray">{label} ({level} ms)</text>'
        )
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"]
    legend_y = pad_t + 4
    for n, (label, steps) in enumerate(series.items()):
        for m, (metric, name) in enumerate((("pages", "page p95"), ("chat", "chat p99"))):
            colour = colours[(2 * n + m) % len(colours)]
            key = "p95_ms" if metric == "pages" else "p99_ms"
            pts = [
                (x(s["target"]), y(s[metric][key]), bool(broken(s)), s[metric][key])
                for s in steps
                if s[metric][key] == s[metric][key]
            ]
            if pts:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in pts)
                dash = "" if m == 0 else ' stroke-dasharray="6 2"'
                out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
                for px, py, bad, value in pts:
                    out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{"red" if bad else colour}"/>')
                    if value > y_max:
                        out.append(
                            f'<text x="{px - 6:.1f}" y="{py + 4 + 12 * m:.1f}" text-anchor="end" '
                            f'fill="{colour}">{name} {value:.0f} ms ↑</text>'
                        )
            out.append(
                f'<line x1="{pad_l + 10}" y1="{legend_y}" x2="{pad_l + 30}" y2="{legend_y}" stroke="{colour}" '
                f'stroke-width="2"/><text x="{pad_l + 34}" y="{legend_y + 4}">{label}: {name}</text>'
            )
            legend_y += 14
    out.append(f'<text x="{pad_l + 34}" y="{legend_y + 4}" fill="red">red dot: a service level broke</text>')
    out.append("</svg>")
    return "\n".join(out)


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Ramp:
    """One configuration's ramp (one process, or two with Redis)."""

    label: str
    steps: list = field(default_factory=list)
    cpu: dict = field(default_factory=dict)


class LoadProcess:
    """One bench/mixed_load.py process, driven line by line."""

    def __init__(self, config):
        with tempfile.NamedTemporaryFile("w", delete=False, suffix=".json") as f:
            json.dump(config, f)
            self.config_path = f.name
        from bench import harness

        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.mixed_load", self.config_path],
            cwd=harness.ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=harness.raise_own_nofile,
        )

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def answer(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("a mixed-load generator exited")
        return json.loads(line) if line.strip() != "ok" else "ok"

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.send("stop")
                self.proc.wait(timeout=30)
            except Exception:  # noqa: BLE001
                self.proc.kill()
        os.unlink(self.config_path)


def all_answers(processes, line):
    """Send one command to every load process at once, then read each answer."""
    for p in processes:
        p.send(line)
    return [p.answer() for p in processes]


def cpu_seconds(pids):
    """{pid: CPU seconds so far} of the processes still running."""
    import psutil

    out = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            out[pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


def server_pids(servers):
    import psutil

    pids = []
    for s in servers:
        with _suppress():
            pids += [s.proc.pid, *(c.pid for c in psutil.Process(s.proc.pid).children(recursive=True))]
    return pids


def named_pids(*names):
    import psutil

    return [p.pid for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith(names)]


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], Exception)


def cpu_snapshot(servers, loaders):
    import psutil

    return {
        "load generator": cpu_seconds([p.proc.pid for p in loaders]),
        "servers": cpu_seconds(server_pids(servers)),
        "PostgreSQL": cpu_seconds(named_pids("postgres")),
        "Redis": cpu_seconds(named_pids("redis-server")),
        "machine": sum(getattr(psutil.cpu_times(), k) for k in ("user", "system", "nice", "irq", "softirq")),
        "at": time.monotonic(),
    }


def cpu_share(before, after):
    """Each part's CPU over the window, in cores (1.0 = one core busy throughout). A process that
    started during the window counts whole; one that ended during it is missed (a floor)."""
    seconds = max(after["at"] - before["at"], 1e-9)
    out = {"machine": (after["machine"] - before["machine"]) / seconds}
    for part, pids in after.items():
        if isinstance(pids, dict):
            out[part] = sum(t - before[part].get(pid, 0.0) for pid, t in pids.items()) / seconds
    return out


def revocation_probe(url, room, other_url=None):
    """Sign the probe family in twice (A on `url`, B on `other_url`: with two processes, the
    other one, so the revocation must cross Redis); A joins a room; B ends A ("sign out other
    sessions"). A's very next page must be the login redirect, and its socket must be dropped
    or its very next event answered `unauthorized`. Returns dict(ok, detail)."""
    import socketio

    from bench import harness, mixed_setup

    other_url = other_url or url
    a = harness.login(url, mixed_setup.PROBE)
    b = harness.login(other_url, mixed_setup.PROBE)
    dropped = threading.Event()
    sio = socketio.Client(reconnection=False)
    sio.on("disconnect", lambda *_: dropped.set(), namespace="/chat")
    sio.connect(
        url,
        headers={"Cookie": harness.cookie_header(a)},
        transports=["websocket"],
        namespaces=["/chat"],
        wait_timeout=30,
    )
    try:
        ack = sio.call("join", {"room": room, "after_id": None}, namespace="/chat", timeout=30)
        if not ack or not ack.get("ok"):
            return {"ok": False, "detail": f"probe could not join: {ack}"}
        token = harness.csrf_token(b, f"{other_url}/auth/account/sessions")
        ended = b.post(
            f"{other_url}/auth/account/sessions/end-others",
            data={"csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        if ended.status_code not in (302, 303):
            return {"ok": False, "detail": f"end-others answered {ended.status_code}"}
        page = a.get(f"{url}/dashboard", allow_redirects=False, timeout=30)
        if page.status_code not in (302, 303) or "/auth/login" not in page.headers.get("Location", ""):
            return {"ok": False, "detail": f"next page after revocation: {page.status_code}"}
        event = _next_event(sio, room, dropped)
        if event != "refused":
            return {"ok": False, "detail": f"next socket event after revocation: {event}"}
        return {"ok": True, "detail": "next page: login redirect; socket: dropped or refused"}
    finally:
        with _suppress():
            sio.disconnect()


def _next_event(sio, room, dropped):
    """'refused' when the socket is gone or its next event is answered unauthorized."""
    if dropped.wait(0.0) or not sio.connected:
        return "refused"
    try:
        ack = sio.call("send", {"room": room, "body": "probe", "client_id": _uuid()}, namespace="/chat", timeout=10)
    except Exception:  # noqa: BLE001 - the server closed the socket: refused
        return "refused"
    if ack and not ack.get("ok") and ack.get("error") == "unauthorized":
        return "refused"
    return f"answered {ack}"


def _uuid():
    import uuid

    return str(uuid.uuid4())


def lesson_slugs(url, email="family@example.org", limit=8):
    """Lessons the families read: the first ones of the curriculum's modules."""
    import re

    from bench import harness

    s = harness.login(url, email)
    home = s.get(f"{url}/lessons/", timeout=30).text
    slugs = []
    for module in re.findall(r'href="(/lessons/modules/[^"#?]+)"', home)[:4]:
        page = s.get(f"{url}{module}", timeout=30).text
        for slug in re.findall(r'href="/lessons/read/([^"#?/]+)"', page):
            if slug not in slugs:
                slugs.append(slug)
    if not slugs:
        raise RuntimeError("mixed: no lesson links (curriculum not loaded?)")
    return slugs[:limit]


def ensure_families(env, count):
    from bench import harness

    out = harness.run([sys.executable, "-m", "bench.mixed_setup", str(count)], env, timeout=900)
    return json.loads(out.strip().splitlines()[-1])


def run_ramp(label, env, envs, steps, *, window, settle, grace, think_scale, spawn_rate=10, log=print):
    """Start len(envs) servers, ramp the families, stop at the first broken step."""
    from bench import harness, mixed_setup

    ramp = Ramp(label)
    dump = Path(tempfile.gettempdir()) / f"bench-mixed-{label.split()[0]}-process.json"
    servers = [harness.Server(e, name=f"mixed{i}") for i, e in enumerate(envs)]
    loaders = []
    try:
        for s in servers:
            s.start()
        urls = [s.url for s in servers]
        setup = ensure_families(env, steps[-1] if len(steps) <= 2 else steps[0])
        lessons = lesson_slugs(urls[0])
        n_loaders = min(MAX_LOAD_PROCESSES, max(1, math.ceil(steps[-1] / FAMILIES_PER_LOAD_PROCESS)))
        for n in range(n_loaders):
            config = {
                "urls": urls,
                "families": [
                    (mixed_setup.family_email(i), mixed_setup.room_of(i))
                    for i in range(steps[-1])
                    if i % n_loaders == n
                ],
                "password": harness.DEMO_PASSWORD,
                "lessons": lessons,
                "think_scale": think_scale,
                "spawn_rate": spawn_rate / n_loaders,  # the whole ramp's rate, shared
                "post_chance": POST_CHANCE,
                "flag_chance": FLAG_CHANCE,
                "weekly_series_id": setup["weekly_series_id"],
                "client_id": setup["client_id"],
            }
            loaders.append(LoadProcess(config))
        for target in steps:
            if target > setup["families"]:
                setup = ensure_families(env, target)
            step = run_step(servers, loaders, target, window=window, settle=settle, grace=grace, log=log)
            ramp.steps.append(step)
            dump.write_text(json.dumps(ramp.steps, indent=1, default=str))
            reasons = broken(step)
            log(
                f"  {label}: {target} families: page p95 {step['pages']['p95_ms']:.0f} ms, chat p99 "
                f"{step['chat']['p99_ms']:.0f} ms, {step['chat']['delivered']}/{step['chat']['expected']} delivered, "
                f"errors {step['errors']} → {'BROKE: ' + '; '.join(reasons) if reasons else 'held'}"
            )
            if reasons:
                slow = sorted(step["pages"]["per_page"].items(), key=lambda kv: -_number(kv[1]["p95_ms"]))[:4]
                log(
                    "    slowest pages (p95): " + ", ".join(f"{k} {v['p95_ms']:.0f} ms ({v['count']})" for k, v in slow)
                )
                break
    finally:
        for p in loaders:
            p.stop()
        for s in servers:
            s.stop()
    log(f"  every step's figures: {dump}")
    return ramp


def run_step(servers, loaders, target, *, window, settle, grace, log=print):
    from bench import mixed_setup

    moderators, counselors = staff_for(target)
    n = len(loaders)
    log(f"  {time.strftime('%H:%M:%S')} spawning {target} families, {moderators} moderators, {counselors} counselors …")
    for i, p in enumerate(loaders):
        share = target // n + (1 if i < target % n else 0)
        p.send(f"spawn {share} {moderators if i == 0 else 0} {counselors if i == 0 else 0}")
    spawned = [p.answer() for p in loaders]
    ready = sum(s["ready"]["families"] for s in spawned)
    staff_ready = sum(s["ready"]["moderators"] + s["ready"]["counselors"] for s in spawned)
    time.sleep(settle)
    all_answers(loaders, "window")
    before = cpu_snapshot(servers, loaders)
    load_before = os.getloadavg()
    probe_room = mixed_setup.room_of(0)
    window_start = time.time()
    time.sleep(window / 2)
    probe_start = time.time()
    revocation = _probe_safely(servers[-1].url, probe_room, servers[0].url)
    revocation["seconds"] = (probe_start - window_start, time.time() - window_start)  # within the window
    time.sleep(window / 2)
    after = cpu_snapshot(servers, loaders)
    window_end = time.time()
    time.sleep(grace)  # deliveries of the window's last messages arrive; the load goes on
    reports = all_answers(loaders, "report")
    sent = [s for r in reports for s in r["sent"] if s[2] <= window_end]  # later ones may still be on the way
    joined = {k: tuple(v) for r in reports for k, v in r["joined"].items()}
    chat = delivery(sent, [tuple(x) for r in reports for x in r["received"]], joined)
    return {
        "target": target,
        "ready": ready,
        "staff_missing": moderators + counselors - staff_ready,
        "moderators": moderators,
        "counselors": counselors,
        "pages": page_summary(reports),
        "chat": chat,
        "errors": sum(r["error_count"] for r in reports),
        "error_samples": [e for r in reports for e in r["errors"]][:5],
        "disconnects": sum(r["disconnects"] for r in reports),
        "revocation": revocation,
        "cpu": cpu_share(before, after),
        "load": load_before,
        "window_s": window,
        "window_start": window_start,
    }


def _number(value):
    return value if value == value else -1.0  # NaN (no request) last


def _probe_safely(url, room, other_url):
    try:
        return revocation_probe(url, room, other_url)
    except Exception as exc:  # noqa: BLE001 - a probe that cannot run is a failure, reported
        return {"ok": False, "detail": f"probe failed: {exc}"}
