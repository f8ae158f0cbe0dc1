"""Idle Socket.IO connections: memory per connection and how many one process holds.

Connects `count` logged-in WebSocket clients to the /chat namespace of ONE server process
(without joining a room), measures the worker's resident memory before and after, checks
that the process still answers /healthz, then disconnects them.
"""

import math
from pathlib import Path

import requests

from bench.chat_fanout import CLIENTS_PER_PROCESS, LoadProcess


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def hold(server, count, cookies):
    """Returns dict(requested, connected, rss_before_mib, rss_after_mib, kib_per_connection,
    healthy)."""
    worker = server.worker_pids()[0]
    # warm the worker up (first requests import templates etc.) before the baseline
    for _ in range(20):
        requests.get(f"{server.url}/healthz", timeout=30)
    before = rss_kib(worker)
    processes = []
    n_procs = max(1, math.ceil(count / CLIENTS_PER_PROCESS))
    try:
        for i in range(n_procs):
            share = count // n_procs + (1 if i < count % n_procs else 0)
            processes.append(LoadProcess(server.url, "-", share, cookies))
        for p in processes:
            p.wait_ready()
        after = rss_kib(worker)
        healthy = requests.get(f"{server.url}/healthz", timeout=30).status_code == 200
        results = [p.finish() for p in processes]
    finally:
        for p in processes:
            p.kill()
    connected = sum(r["connected"] for r in results)
    return {
        "requested": count,
        "connected": connected,
        "rss_before_mib": before / 1024,
        "rss_after_mib": after / 1024,
        "kib_per_connection": (after - before) / connected if connected else float("nan"),
        "healthy": healthy,
        "errors": [e for r in results for e in r["errors"]][:5],
    }
