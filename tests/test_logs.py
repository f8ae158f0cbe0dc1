"""The development server's request log carries no feed, verification or reset token (as the
production access log, gunicorn.conf.py)."""

import contextlib
import logging
import runpy
import threading
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal import logs

ROOT = Path(__file__).resolve().parent.parent
SECRETS = [
    ("/calendar/feed/Zq3vR0_abc-DEF123456789xyz.ics", "/calendar/feed/[redacted]"),
    ("/auth/reset/IjEyMyI.ZzAbCd.eFgHiJkLmNoPqRsTuV", "/auth/reset/[redacted]"),
    ("/auth/verify/abc", "/auth/verify/[redacted]"),
    ("/lessons/understanding-iop/what-iop-is", "/lessons/understanding-iop/what-iop-is"),
    ("/x/" + "a1B2" * 10 + "/edit", "/x/[redacted]/edit"),
    ("/healthz", "/healthz"),
]


@pytest.mark.parametrize(("path", "expected"), SECRETS)
def test_same_redaction_as_the_production_access_log(path, expected):
    gunicorn_conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert logs.redact_path(path) == gunicorn_conf["redact_path"](path) == expected


@pytest.fixture
def dev_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _get(url):
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(url, timeout=10).read()  # noqa: S310 — our own http:// test server


def test_the_development_server_logs_no_tokens(app, dev_server, caplog):
    feed = "/calendar/feed/SeCrEtFeEdToKeN_1234567890abcdef.ics"
    reset = "/auth/reset/IjEyMyI.SeCrEtReSeT.eFgHiJkLmNoPqRsTuV"
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        _get(dev_server + feed + "?token=also-secret")
        _get(dev_server + reset)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /calendar/feed/[redacted] HTTP/1.1" in line for line in lines), lines
    assert any("GET /auth/reset/[redacted] HTTP/1.1" in line for line in lines), lines
    text = "\n".join(lines)
    assert "SeCrEt" not in text and "also-secret" not in text
