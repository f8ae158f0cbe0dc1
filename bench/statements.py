"""SQL statements and app CPU per request, in-process (the production config, the database
named by DATABASE_URL, signed in through the real login form).

    python -m bench.statements EMAIL PATH [PATH ...]    → one JSON line {path: {...}}

Statement counts do not depend on the machine's load (times do): they explain page
throughput. Used by `python -m bench`.
"""

import json
import sys
import time
from functools import partial

REPEAT = 20


def measure(email, paths, password):
    import sqlalchemy as sa

    from bench.harness import CSRF_META
    from portal import create_app
    from portal.extensions import db

    app = create_app("production")
    statements = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    client = app.test_client()
    base = "https://localhost"  # the session cookie is Secure; CSRF checks the Referer on https
    get = partial(client.get, base_url=base)
    token = CSRF_META.search(get("/auth/login").get_data(as_text=True)).group(1)
    answer = client.post(
        "/auth/login",
        base_url=base,
        headers={"Referer": f"{base}/auth/login"},
        data={"email": email, "password": password, "csrf_token": token},
    )
    if answer.status_code not in (302, 303):
        raise SystemExit(f"login failed: {answer.status_code}")
    results = {}
    for path in paths:
        get(path)  # warm caches (templates, compiled SQL)
        statements.clear()
        status = get(path).status_code
        counted = list(statements)
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(REPEAT):
            get(path)
        results[path] = {
            "status": status,
            "statements": len(counted),
            "writes": sum(1 for s in counted if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))),
            "cpu_ms": (time.process_time() - cpu) / REPEAT * 1000,
            "wall_ms": (time.perf_counter() - started) / REPEAT * 1000,
        }
    return results


if __name__ == "__main__":
    import os

    email, *paths = sys.argv[1:]
    print(json.dumps(measure(email, paths, os.environ.get("DEMO_PASSWORD", "family-bridge-demo"))))
