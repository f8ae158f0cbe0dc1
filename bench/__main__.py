"""`make bench` → `python -m bench`: every benchmark, one table, figures into docs/performance.md.

    python -m bench            # the full run (about 10 minutes, and 30–45 more for the mixed-load ramp)
    python -m bench --quick    # small N and short runs, to check the machinery (not for the doc)
    python -m bench --no-write # do not touch docs/performance.md
    python -m bench --pages    # the page rows only (about 2 minutes; never writes the doc)
    python -m bench --storm    # the reconnect storm only (its own block in the doc)
    python -m bench --reactions [--clients N]  # the fan-out with reactions flowing only (no doc)
    python -m bench --mixed    # the mixed-load capacity ramp only (its own block in the doc)
    python -m bench --mixed --steps 100,300  # a trial ramp of chosen steps (never writes the doc)

Needs PostgreSQL (TEST_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/postgres) and, for
the scale-out rows, Redis (TEST_REDIS_URL or redis://127.0.0.1:6379/0). Servers run with the
production config and the same command as `make serve` (gunicorn --config gunicorn.conf.py),
on a fresh database with the demo data, with RATELIMIT_ENABLED=0 (a contract in docs/architecture.md: load tests).
"""

import argparse
import contextlib
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import chat_fanout, harness, idle, mixed, pages, scaleout, storm

GOALS = {
    "delivery": "delivered/expected = 1.0",
    "p99": "portal p99 ≤ 1.5× bare",
    "pages": "≥ 0.3× hello",
    "floor": "≥ 0.4× hello (what every signed-in page pays)",
    "lesson": "≥ 0.15× hello (signed in); ≥ 0.3× as every page",
    "idle": "≥ 1,000 idle connections per process",
    "scale": "2 processes + Redis ≥ 0.85× 1 process",
    "storm": "portal ≤ 3× bare",
    "mixed": f"≥ {mixed.GOAL_FAMILIES:,} families within the service levels",
    "revocation": "every probe refused on its next request and socket event",
}
REACT_SHARE, REACT_EVERY = 0.1, 5.0  # a tenth of the room reacts, each about every 5 s
DOC = harness.ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
STORM_BEGIN, STORM_END = "<!-- bench-storm:begin -->", "<!-- bench-storm:end -->"  # `--storm` alone
MIXED_BEGIN, MIXED_END = "<!-- bench-mixed:begin -->", "<!-- bench-mixed:end -->"  # `--mixed` alone
MIXED_CHART = harness.ROOT / "docs" / "mixed-ramp.svg"


def sh(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip()  # noqa: S603
    except Exception:  # noqa: BLE001
        return ""


def machine():
    lscpu = sh("lscpu")
    model = re.search(r"Model name:\s+(.*)", lscpu)
    mem = re.search(r"MemTotal:\s+(\d+) kB", open("/proc/meminfo").read())  # noqa: SIM115
    pg = sh("psql", harness.postgres_server_url(), "-tAc", "show server_version")
    redis_v = sh("redis-server", "--version")
    return {
        "cpu": model.group(1).strip() if model else platform.processor(),
        "cpus": os.cpu_count(),
        "memory": f"{int(mem.group(1)) / 1024 / 1024:.1f} GiB" if mem else "?",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": pg.split()[0] if pg else "?",
        "redis": (re.search(r"v=(\S+)", redis_v) or [None, "?"])[1],
        "load_generator": pages.load_generator(),
        "load average at start (1/5/15 min)": "/".join(f"{x:.1f}" for x in os.getloadavg()),
    }


class Table:
    def __init__(self):
        self.rows = []

    def add(self, benchmark, portal, baseline, ratio, goal, met):
        self.rows.append((benchmark, portal, baseline, ratio, goal, met))
        print(
            f"  · {benchmark}: {portal} | {baseline} | {ratio} | {'ok' if met else 'MISSED' if met is False else ''}",
            flush=True,
        )

    def markdown(self):
        head = ("benchmark", "portal", "baseline", "ratio", "goal", "met")
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in self.rows:
            met = {True: "yes", False: "**no**", None: "—"}[row[5]]
            lines.append("| " + " | ".join([*map(str, row[:5]), met]) + " |")
        return "\n".join(lines)

    def text(self):
        head = ("benchmark", "portal", "baseline", "ratio", "goal", "met")
        rows = [head] + [(*map(str, r[:5]), {True: "yes", False: "NO", None: "-"}[r[5]]) for r in self.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        out = []
        for i, r in enumerate(rows):
            out.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
            if i == 0:
                out.append("  ".join("-" * w for w in widths))
        return "\n".join(out)


def first_lesson_path(session, base):
    text = session.get(f"{base}/lessons/", timeout=30).text
    match = re.search(r'href="(/lessons/read/[^"#?]+)"', text)
    if not match:
        module = re.search(r'href="(/lessons/modules/[^"#?]+)"', text)
        if module:
            text = session.get(f"{base}{module.group(1)}", timeout=30).text
            match = re.search(r'href="(/lessons/read/[^"#?]+)"', text)
    if not match:
        raise RuntimeError("no lesson link on /lessons/ (curriculum not loaded?)")
    return match.group(1)


def fmt_ms(value):
    return f"{value:.0f} ms" if value == value else "n/a"  # NaN check


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--pages", action="store_true", help="page throughput and SQL rows only")
    parser.add_argument(
        "--storm", action="store_true", help="the reconnect storm rows only (their own block in the doc)"
    )
    parser.add_argument(
        "--reactions", action="store_true", help="the fan-out with reactions flowing only (never writes the doc)"
    )
    parser.add_argument(
        "--clients",
        type=int,
        help="clients in the reconnect storm (default 500, --quick 50), or with --reactions in that fan-out (200, 20)",
    )
    parser.add_argument(
        "--mixed", action="store_true", help="the mixed-load capacity ramp only (its own block in the doc)"
    )
    parser.add_argument("--steps", help="with --mixed: the ramp's steps, e.g. 100,300 (a trial: never writes the doc)")
    args = parser.parse_args(argv)
    only = args.pages or args.storm or args.reactions or args.mixed  # one part of the run
    harness.raise_own_nofile()
    quick = args.quick
    sizes = (20, 50) if quick else (200, 500)
    seconds = 3 if quick else 10
    page_seconds = 3 if quick else 10
    idle_counts = (100,) if quick else (1000, 2000)
    storm_size = 50 if quick else 500
    rate = 5.0

    info = machine()
    if args.mixed:
        info["load_generator"] = mixed.load_generator()
    print("machine:", info, flush=True)
    table = Table()
    notes = []
    started = time.monotonic()
    # PostgreSQL through its local socket, as docs/deploy.md recommends on one host
    with harness.postgres_database("fb_bench", unix_socket=True) as url, contextlib.ExitStack() as stack:
        env = harness.server_env(url, RATELIMIT_ENABLED="0")
        schema = harness.prepare_database(env, seed_demo=True)
        notes.append(f"schema built with: {schema.split(' (')[0]}")
        notes.append("database: " + ("PostgreSQL over the local socket" if "host=/" in url else "PostgreSQL over TCP"))
        hello = stack.enter_context(harness.Server(env, app="bench.hello_app:app", name="hello"))
        portal = harness.Server(env, name="portal").start()
        stack.callback(portal.stop)

        family = harness.login(portal.url, "family@example.org")
        family2 = harness.login(portal.url, "family2@example.org")
        cookies = [harness.cookie_header(family), harness.cookie_header(family2)]
        room = "welcome"

        page_paths = {}
        if not (args.storm or args.reactions or args.mixed):
            page_paths = page_rows(table, notes, env, hello, portal, family, cookies, page_seconds, room)

        # --- chat fan-out, portal vs bare (then with reactions flowing) -------------------------
        for n in () if only else sizes:
            fanout_rows(table, notes, hello, portal, cookies, room, n, rate, seconds)
        if not (args.pages or args.storm or args.mixed):
            n = args.clients if args.reactions and args.clients else sizes[0]
            fanout_rows(table, notes, hello, portal, cookies, room, n, rate, seconds, reacting=True)

        # --- reconnect storm, portal vs bare --------------------------------------------------
        if not (args.pages or args.reactions or args.mixed):
            storm_rows(table, notes, hello, portal, cookies, room, args.clients or storm_size)

        # --- idle connections --------------------------------------------------------------
        for count in () if only else idle_counts:
            idle_rows(table, notes, hello, portal, cookies, count)
        portal.stop()

        # --- scale-out ---------------------------------------------------------------------
        if only:
            pass
        elif harness.redis_available():
            scaleout_rows(table, env, sizes[-1], rate, seconds, page_seconds, room, page_paths)
        else:
            notes.append("scale-out skipped: Redis not reachable")

        # --- mixed-load capacity ---------------------------------------------------------------
        ramps = []
        if args.mixed or not only:
            steps = tuple(int(n) for n in args.steps.split(",")) if args.steps else None
            ramps = mixed_rows(table, notes, env, quick, steps)

    elapsed = time.monotonic() - started
    info["load average at end (1/5/15 min)"] = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print()
    print(table.text())
    for note in notes:
        print("note:", note)
    print(
        f"(machine: {info['cpus']} CPUs, {info['cpu']}, {info['memory']}; load generator: "
        f"{info['load_generator']}; {elapsed:.0f} s)"
    )
    if not args.no_write and not quick and not args.pages and not args.reactions and not args.steps:
        markers = (STORM_BEGIN, STORM_END, "--storm") if args.storm else (BEGIN, END, "")
        markers = (MIXED_BEGIN, MIXED_END, "--mixed") if args.mixed else markers
        extra = []
        if ramps:
            MIXED_CHART.write_text(mixed.svg_chart({r.label: r.steps for r in ramps}) + "\n")
            extra = [f"![The ramp: page p95 and chat p99 by concurrent families]({MIXED_CHART.name})", ""]
        write_doc(info, table, notes, elapsed, *markers, extra=extra)
        print(f"figures written to {DOC.relative_to(harness.ROOT)}")
    return 0


def fanout_rows(table, notes, hello, portal, cookies, room, n, rate, seconds, reacting=False):
    """Fan-out to n clients, bare then portal: delivery, p50 and p99 rows. `reacting`: a share of
    the clients send support reactions meanwhile, and the reaction updates get their own row."""
    label = f"fan-out N={n}" + (", reactions flowing" if reacting else "")
    print(f"{label} …", flush=True)
    reactors = max(1, round(n * REACT_SHARE)) if reacting else 0
    extra = {"reactors": reactors, "react_every": REACT_EVERY}
    bare = chat_fanout.run(hello.url, clients=n, rate=rate, seconds=seconds, room="bench", **extra)
    ours = chat_fanout.run(
        portal.url,
        clients=n,
        rate=rate,
        seconds=seconds,
        room=room,
        sender_cookie=cookies[0],
        receiver_cookies=cookies,
        **extra,
    )
    notes.append(
        f"{label}: after the joins, events took {ours['settle_s']} s (portal) and "
        f"{bare['settle_s']} s (bare) to drain before the timed phase"
    )
    for name, r in (("bare", bare), ("portal", ours)):
        if r["errors"] or r["send_failures"] or r["duplicates"]:
            notes.append(
                f"{label} {name}: errors {r['errors']} send failures {r['send_failures']} duplicates {r['duplicates']}"
            )
    delivery_row(table, f"{label}: delivered/expected", ours, bare)
    if reacting:
        reaction_rows(table, notes, label, n, reactors, bare, ours)
    for pct, goal in (("p50", None), ("p99", GOALS["p99"])):
        ratio = ours[f"{pct}_ms"] / bare[f"{pct}_ms"]
        met = ratio <= 1.5 if goal else None
        compared_row(
            table, f"{label}: {pct} latency", fmt_ms(ours[f"{pct}_ms"]), fmt_ms(bare[f"{pct}_ms"]), ratio, goal, met
        )


def compared_row(table, name, ours, theirs, ratio, goal=None, met=None, how=""):
    """A row whose ratio is a plain quotient (`how` says of what, when it is not ours / theirs)."""
    table.add(name, ours, theirs, f"{ratio:.2f}" + (f" ({how})" if how else ""), goal or "—", met)


def delivery_row(table, name, ours, theirs):
    """Every message reached every client on both sides, and none twice."""
    table.add(
        name,
        f"{ours['delivered']}/{ours['expected']}",
        f"{theirs['delivered']}/{theirs['expected']}",
        f"{ours['ratio']:.3f} / {theirs['ratio']:.3f}",
        GOALS["delivery"],
        all(r["ratio"] == 1.0 and not r.get("duplicates") for r in (ours, theirs)),
    )


def idle_rows(table, notes, hello, portal, cookies, count):
    """`count` signed-in sockets held open by one process, and what each costs in memory."""
    print(f"idle connections: {count} …", flush=True)
    held = idle.hold(portal, count, cookies)
    bare_held = idle.hold(hello, count, [])
    if held["errors"]:
        notes.append(f"idle {count}: {held['errors']}")
    table.add(
        f"idle: connections held by one process (of {count})",
        str(held["connected"]),
        str(bare_held["connected"]),
        f"{held['connected'] / count:.2f}",
        GOALS["idle"],
        held["connected"] >= min(count, 1000) and held["healthy"],
    )
    table.add(
        f"idle: memory per connection ({count} open)",
        f"{held['kib_per_connection']:.0f} KiB",
        f"{bare_held['kib_per_connection']:.0f} KiB",
        f"{held['kib_per_connection'] / bare_held['kib_per_connection']:.2f}",
        "—",
        None,
    )
    notes.append(
        f"idle {count}: portal worker RSS {held['rss_before_mib']:.0f} → "
        f"{held['rss_after_mib']:.0f} MiB; bare {bare_held['rss_before_mib']:.0f} → "
        f"{bare_held['rss_after_mib']:.0f} MiB"
    )


def scaleout_rows(table, env, n, rate, seconds, page_seconds, room, page_paths):
    """One process without Redis against two sharing Redis: chat delivery, p99, room page."""
    print(f"scale-out N={n} …", flush=True)
    one_chat, one_page = chat_and_pages([portal_env(env)], n, rate, seconds, page_seconds, room, page_paths)
    with harness.redis_namespace() as prefix:
        renv = portal_env(env, redis=harness.redis_server_url(), prefix=prefix)
        two_chat, two_page = chat_and_pages([renv, renv], n, rate, seconds, page_seconds, room, page_paths)
    both = "(2 procs + Redis | 1 proc)"
    delivery_row(table, f"scale-out N={n}: delivered/expected {both}", two_chat, one_chat)
    lat_ratio = one_chat["p99_ms"] / two_chat["p99_ms"]  # higher is better, like throughput
    name, ours, theirs = f"scale-out N={n}: p99 latency {both}", two_chat["p99_ms"], one_chat["p99_ms"]
    compared_row(
        table,
        name,
        fmt_ms(ours),
        fmt_ms(theirs),
        lat_ratio,
        GOALS["scale"],
        lat_ratio >= 0.85,
        how="1-proc p99 / 2-proc p99",
    )
    page_ratio = two_page["rps"] / one_page["rps"]
    name, ours, theirs = f"scale-out: room page throughput {both}", two_page["rps"], one_page["rps"]
    compared_row(
        table, name, f"{ours:.0f} req/s", f"{theirs:.0f} req/s", page_ratio, GOALS["scale"], page_ratio >= 0.85
    )


def reaction_rows(table, notes, label, n, reactors, bare, ours):
    """Every acknowledged reaction's count update reached every client."""

    def complete(r):
        sent = r["reactions_sent"]
        return 0 < sent == r["reactions_acked"] and r["reaction_updates"] == r["reaction_updates_expected"]

    table.add(
        f"{label}: reaction updates received/expected",
        f"{ours['reaction_updates']}/{ours['reaction_updates_expected']}",
        f"{bare['reaction_updates']}/{bare['reaction_updates_expected']}",
        "—",
        "every reaction acked, its update to every client",
        complete(ours) and complete(bare),
    )
    notes.append(
        f"{label}: {reactors} of {n} clients reacted about every {REACT_EVERY:.0f} s; reactions "
        f"acked/sent {ours['reactions_acked']}/{ours['reactions_sent']} (portal), "
        f"{bare['reactions_acked']}/{bare['reactions_sent']} (bare)"
    )


def page_rows(table, notes, env, hello, portal, family, cookies, page_seconds, room):
    """The page throughput rows and the SQL statements per page; returns the pages measured."""
    print("pages …", flush=True)
    hello_rps = pages.measure(f"{hello.url}/", duration=page_seconds)["rps"]
    table.add("pages: bare hello route", f"{hello_rps:.0f} req/s", "—", "1.00", "baseline", None)
    floor = pages.measure(f"{portal.url}/healthz", cookies[0], duration=page_seconds)["rps"]
    name = "pages: signed-in floor (/healthz with a session)"
    ratio = floor / hello_rps
    compared_row(table, name, f"{floor:.0f} req/s", f"{hello_rps:.0f} req/s", ratio, GOALS["floor"], ratio >= 0.4)
    page_paths = {
        "lesson page": first_lesson_path(family, portal.url),
        "calendar agenda": "/calendar/",
        "room page": f"/rooms/{room}",
    }
    for name, path in page_paths.items():
        result = pages.measure(f"{portal.url}{path}", cookies[0], duration=page_seconds)
        ratio = result["rps"] / hello_rps
        if result["non_2xx"]:
            notes.append(f"{name}: {result['non_2xx']} non-2xx answers during the run")
        goal, bound = (GOALS["lesson"], 0.15) if name == "lesson page" else (GOALS["pages"], 0.3)
        met = ratio >= bound and not result["non_2xx"]
        compared_row(
            table, f"pages: {name} ({path})", f"{result['rps']:.0f} req/s", f"{hello_rps:.0f} req/s", ratio, goal, met
        )

    # SQL statements and app CPU per request (in-process; explains the throughput above)
    counted = statements_per_page(env, ["/healthz", *page_paths.values(), "/dashboard"])
    for path, c in counted.items():
        table.add(
            f"pages: SQL statements / app CPU per request: {path}",
            f"{c['statements']} ({c['writes']} writes) / {c['cpu_ms']:.1f} ms",
            "0 / —",
            "—",
            "—",
            None,
        )

    return page_paths


def statements_per_page(env, paths):
    import json

    out = harness.run([sys.executable, "-m", "bench.statements", "family@example.org", *paths], env)
    return json.loads(out.strip().splitlines()[-1])


def storm_rows(table, notes, hello, portal, cookies, room, n):
    """The reconnect storm (bench/storm.py) against the bare server, then the portal."""
    print(f"reconnect storm N={n} …", flush=True)
    bare = storm.run(hello.url, clients=n, room="bench")
    ours = storm.run(portal.url, clients=n, room=room, sender_cookie=cookies[0], receiver_cookies=cookies)
    for label, r in (("bare", bare), ("portal", ours)):
        if r["errors"] or r["joined"] != n or r["fewest_messages"] < storm.HISTORY:
            notes.append(
                f"storm N={n} {label}: {r['joined']} joined, fewest messages in an ack "
                f"{r['fewest_messages']}, errors {r['errors']}"
            )
    ratio = ours["seconds"] / bare["seconds"]
    table.add(
        f"reconnect storm N={n}: all rejoined with {storm.HISTORY} messages of catch-up",
        f"{ours['seconds']:.2f} s ({ours['seconds'] / n * 1000:.1f} ms/client)",
        f"{bare['seconds']:.2f} s ({bare['seconds'] / n * 1000:.1f} ms/client)",
        f"{ratio:.2f}",
        GOALS["storm"],
        ratio <= 3 and ours["joined"] == n and ours["fewest_messages"] >= storm.HISTORY,
    )
    notes.append(
        f"storm N={n}: {len(cookies)} accounts share the sockets (online list of {len(cookies)} names); "
        "every rejoin asks for the latest messages (after_id null)"
    )


def mixed_rows(table, notes, env, quick, steps=None):
    """The mixed-load ramp on one process, then on two sharing Redis: families held, each
    with its goal; the steps, CPU shares and revocation probes in the notes."""
    steps = steps or (mixed.QUICK_STEPS if quick else mixed.STEPS)
    timing = {"window": 12, "settle": 1, "grace": 2, "think_scale": 0.1, "spawn_rate": 20}
    if not quick:
        # 5 arrivals a second: each sign-in is ≈ 0.16 s of argon2 CPU by design, so 10 a second
        # asked for 1.6 cores for sign-ins alone and the step measured the arrivals, not the use
        timing = {"window": 40, "settle": 10, "grace": 5, "think_scale": 1.0, "spawn_rate": 5}
    configs = [("1 process", [portal_env(env)])]
    prefix_ctx = contextlib.ExitStack()
    if harness.redis_available():
        prefix = prefix_ctx.enter_context(harness.redis_namespace())
        renv = portal_env(env, redis=harness.redis_server_url(), prefix=prefix)
        configs.append(("2 processes + Redis", [renv, renv]))
    else:
        notes.append("mixed load, 2 processes: skipped (Redis not reachable)")
    ramps = []
    with prefix_ctx:
        for label, envs in configs:
            print(f"mixed load, {label}: ramp {', '.join(map(str, steps))} families …", flush=True)
            ramp = mixed.run_ramp(label, env, envs, steps, **timing)
            ramps.append(ramp)
            mixed_ramp_rows(table, notes, ramp, steps)
    probes = [s["revocation"] for r in ramps for s in r.steps]
    table.add(
        "mixed load: revocation under load (next page, next socket event)",
        f"{sum(p['ok'] for p in probes)}/{len(probes)} probes refused",
        "—",
        "—",
        GOALS["revocation"],
        bool(probes) and all(p["ok"] for p in probes),
    )
    return ramps


def mixed_ramp_rows(table, notes, ramp, steps):
    held, broke = mixed.capacity(ramp.steps)
    if broke is not None:
        why = f"broke at {broke['target']}: {'; '.join(mixed.broken(broke))}"
    elif ramp.steps and ramp.steps[-1]["target"] == steps[-1]:
        why = f"held up to the last step ({steps[-1]}); not ramped further"
    else:
        why = "the ramp did not finish"
    table.add(
        f"mixed load, {ramp.label}: concurrent families held",
        f"{held:,}",
        "—",
        f"{held / mixed.GOAL_FAMILIES:.2f} of goal",
        GOALS["mixed"],
        held >= mixed.GOAL_FAMILIES,
    )
    notes.append(f"mixed load, {ramp.label}: {why}")
    for s in ramp.steps:
        cpu = s["cpu"]
        notes.append(
            f"mixed load, {ramp.label}, {s['target']} families ({s['moderators']} moderators, "
            f"{s['counselors']} counselors; {s['ready']} signed in and joined): "
            f"{s['pages']['count']} pages, p50 {fmt_ms(s['pages']['p50_ms'])}, p95 {fmt_ms(s['pages']['p95_ms'])}; "
            f"{s['chat']['messages']} messages, {s['chat']['delivered']}/{s['chat']['expected']} deliveries, "
            f"{s['chat']['duplicates']} duplicated, p99 {fmt_ms(s['chat']['p99_ms'])}; {s['errors']} errors; "
            f"CPU (cores, of {os.cpu_count()}): load generator {cpu['load generator']:.2f}, servers "
            f"{cpu['servers']:.2f}, PostgreSQL (all its processes) {cpu['PostgreSQL']:.2f}, Redis "
            f"{cpu['Redis']:.2f}, whole machine (others' work included) "
            f"{cpu['machine']:.2f}; load average {'/'.join(f'{x:.1f}' for x in s['load'])}"
            + (f"; first errors: {s['error_samples'][:2]}" if s["error_samples"] else "")
        )


def portal_env(env, redis=None, prefix=None):
    out = dict(env)
    out.pop("REDIS_URL", None)
    if redis:
        out.update(REDIS_URL=redis, REDIS_KEY_PREFIX=prefix)
    return out


def chat_and_pages(envs, n, rate, seconds, page_seconds, room, page_paths):
    """Start len(envs) portal processes; fan-out with receivers spread over them, then the
    room page under two load generators. Returns (fanout result, page result)."""
    servers = [harness.Server(e, name=f"scale{i}") for i, e in enumerate(envs)]
    try:
        for s in servers:
            s.start()
        urls = [s.url for s in servers]
        session = harness.login(urls[0], "family@example.org")
        session2 = harness.login(urls[-1], "family2@example.org")
        cookies = [harness.cookie_header(session), harness.cookie_header(session2)]
        chat = scaleout.fanout(
            urls, clients=n, rate=rate, seconds=seconds, room=room, sender_cookie=cookies[0], receiver_cookies=cookies
        )
        page = scaleout.page_load(urls, page_paths["room page"], cookies[0], page_seconds)
        return chat, page
    finally:
        for s in servers:
            s.stop()


def write_doc(info, table, notes, elapsed, begin=BEGIN, end=END, args="", extra=()):
    """Replace the block between `begin` and `end` in docs/performance.md (append it if absent)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = f"`make bench BENCH_ARGS={args}`" if args else "`make bench`"
    block = "\n".join(
        [
            begin,
            f"Last run: {stamp} ({elapsed:.0f} s), {command}.",
            "",
            "| machine | |",
            "|---|---|",
            *[f"| {k} | {v} |" for k, v in info.items()],
            "",
            table.markdown(),
            "",
            *extra,
            *[f"- {n}" for n in notes],
            end,
        ]
    )
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{begin}\n{end}\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
