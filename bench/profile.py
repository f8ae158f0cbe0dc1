"""Where a page's time goes: py-spy on the gevent worker while `wrk` loads the page.

    python -m bench.profile                      # the three benchmarked pages and /healthz
    python -m bench.profile /dashboard /rooms/   # other pages
    python -m bench.profile --keep DIR ...       # also keep py-spy's raw stacks in DIR

Same set-up as the page benchmark (production config, gunicorn + gevent, a fresh PostgreSQL
database with the demo data over the local socket, signed in as the demo family member). Needs
`py-spy` (requirements-dev.txt) and `wrk`, and root or ptrace rights over the worker. Prints,
per page, the worker's time per request split by library. py-spy counts a sample whenever the
worker is running or runnable, so on a busy machine the figures include time spent waiting for
a CPU (for instance while PostgreSQL, on the same machine, answers a statement).
"""

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import harness
from bench.__main__ import first_lesson_path

RATE = 250  # py-spy samples per second
SECONDS = 10

# (label, substring of a stack) — the first that matches names the sample.
CATEGORIES = (
    ("psycopg (send, wait, read results)", "psycopg"),
    ("SQLAlchemy (ORM and Core)", "sqlalchemy"),
    ("Babel date and time formatting", "babel/dates"),
    ("gettext (Flask-Babel)", "flask_babel"),
    ("WTForms and CSRF", "wtforms"),
    ("WTForms and CSRF", "flask_wtf"),
    ("Jinja rendering", "jinja2"),
    ("Jinja rendering", ".html"),
    ("Flask-Login", "flask_login"),
)
OTHER = "Flask, Werkzeug, WSGI, portal code"


def categorise(raw_path, requests):
    """{label: ms per request} from py-spy's raw (collapsed) output."""
    totals = collections.Counter()
    for line in Path(raw_path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        label = next((name for name, needle in CATEGORIES if needle in stack), OTHER)
        totals[label] += int(count)
    per_request = {label: n / RATE / requests * 1000 for label, n in totals.most_common()}
    per_request["total"] = sum(totals.values()) / RATE / requests * 1000
    return per_request


def py_spy():
    """py-spy from this virtualenv (requirements-dev.txt), else from PATH."""
    local = harness.BIN / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def profile(server, path, cookie, keep):
    url = f"{server.url}{path}"
    wrk = ["wrk", "-t1", "-c10", "-H", f"Cookie: {cookie}"]
    subprocess.run([*wrk, "-d2s", url], capture_output=True, check=True)  # noqa: S603 - warm up
    folder = Path(keep or tempfile.mkdtemp(prefix="fb-profile-"))
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / (re.sub(r"\W+", "_", path).strip("_") + ".txt")
    spy = subprocess.Popen(  # noqa: S603
        [py_spy(), "record", "-p", str(server.worker_pids()[0]), "-d", str(SECONDS + 1), "-r", str(RATE)]
        + ["-f", "raw", "-o", str(raw), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    out = subprocess.run([*wrk, f"-d{SECONDS}s", url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    if spy.wait() != 0 or not raw.exists():
        raise RuntimeError(f"py-spy failed on {path} (it needs root or ptrace rights over the worker)")
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    return requests_done / SECONDS, categorise(raw, requests_done)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--keep", help="a folder for py-spy's raw stacks")
    args = parser.parse_args(argv)
    if not py_spy() or not shutil.which("wrk"):
        sys.exit("py-spy (requirements-dev.txt) and wrk (apt-get install wrk) are needed")
    with harness.postgres_database("fb_profile", unix_socket=True) as url:
        env = harness.server_env(url, RATELIMIT_ENABLED="0")
        harness.prepare_database(env, seed_demo=True)
        with harness.Server(env, name="profile") as server:
            family = harness.login(server.url, "family@example.org")
            paths = args.paths or ["/healthz", first_lesson_path(family, server.url), "/calendar/", "/rooms/welcome"]
            for path in paths:
                rps, split = profile(server, path, harness.cookie_header(family), args.keep)
                print(f"{path}: {rps:.0f} req/s, {split.pop('total'):.1f} ms of worker time per request")
                for label, ms in split.items():
                    print(f"    {label:40s} {ms:5.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
