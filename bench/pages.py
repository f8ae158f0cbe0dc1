"""Page throughput: requests per second of one URL, measured with `wrk` when it is installed
(apt-get install wrk), else with a gevent-based Python client (bench.pages.python_load).

Every measured URL is first fetched once and must answer 200 (not a redirect to the login
page), and the run must produce no non-2xx answers; otherwise the figure is refused.
"""

import re
import shutil
import subprocess
import time

import requests

CONNECTIONS = 10
DURATION = 10


def load_generator():
    return "wrk" if shutil.which("wrk") else "python-gevent"


def check(url, cookie=None):
    headers = {"Cookie": cookie} if cookie else {}
    r = requests.get(url, headers=headers, allow_redirects=False, timeout=30)
    if r.status_code != 200:
        raise RuntimeError(f"{url} answered {r.status_code}, not 200 (login lost? rate limit on?)")
    return r


def measure(url, cookie=None, duration=DURATION, connections=CONNECTIONS):
    """Requests per second for GET url; returns dict(rps, generator, non_2xx)."""
    check(url, cookie)
    if load_generator() == "wrk":
        return _wrk(url, cookie, duration, connections)
    return python_load(url, cookie, duration, connections)


def _wrk(url, cookie, duration, connections):
    args = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
    return {
        "rps": rps,
        "generator": "wrk",
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
        "p99_ms": _ms(*p99.groups()) if p99 else None,
    }


def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def python_load(url, cookie, duration, connections):
    """A fallback load generator: `connections` gevent greenlets with keep-alive sessions, in a
    subprocess (gevent must monkey-patch before anything else is imported)."""
    import json
    import sys

    code = f"""
from gevent import monkey; monkey.patch_all()
import gevent, json, time, requests
url, cookie, duration = {url!r}, {cookie!r}, {duration!r}
done = [0]; bad = [0]
def worker():
    s = requests.Session()
    headers = {{"Cookie": cookie}} if cookie else {{}}
    end = time.monotonic() + duration
    while time.monotonic() < end:
        r = s.get(url, headers=headers, allow_redirects=False)
        if r.status_code == 200:
            done[0] += 1
        else:
            bad[0] += 1
start = time.monotonic()
gevent.joinall([gevent.spawn(worker) for _ in range({connections})])
print(json.dumps({{"rps": done[0] / (time.monotonic() - start), "non_2xx": bad[0]}}))
"""
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result.update(generator="python-gevent", socket_errors="", p99_ms=None, wall=time.monotonic() - started)
    return result
