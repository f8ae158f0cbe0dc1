"""End-to-end fixtures: the portal served on a free port, driven by Debian's Chromium.

Browser tests skip when Chromium is missing, unless REQUIRE_BROWSER=1 (as in CI), where a
missing browser is a failure.
"""

import os
import shutil
import socket
import threading
from pathlib import Path

import axe_playwright_python
import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from tests.factories import PASSWORD

# Debian's chromium-headless-shell (the Chromium project's headless build, the one Playwright
# itself runs headless) when it is installed, as in CI: the same Blink and V8, without the
# desktop browser around them, so a page costs about a quarter less processor time. Else
# Debian's full Chromium, run headless.
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
FULL_CHROMIUM = "/usr/bin/chromium"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or (HEADLESS_SHELL if os.path.exists(HEADLESS_SHELL) else FULL_CHROMIUM)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# Not an xdist group: each browser test has its own server and the worker's own database, and
# kept on one worker the browser tests were one chain of a dozen minutes, the longest in the run.
def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def screenshot(page, name):
    """Save a full-page screenshot when E2E_SCREENSHOTS names a folder (for looking by hand)."""
    folder = os.environ.get("E2E_SCREENSHOTS") or os.environ.get("NOTIFICATION_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app, database_url, tmp_path):
    """The portal on http://127.0.0.1:<port>, sharing the test's database, mail queue and outbox."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    served = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        MAIL_OUTBOX=app.config["MAIL_OUTBOX"],
        PORTAL_BASE_URL=base,
        **getattr(app, "live_overrides", {}),
    )
    # The test's app delivers the mail queue (the `outbox` fixture) for this portal, as a server
    # process would: links it builds at delivery must point to the served address too.
    app.config["PORTAL_BASE_URL"] = base
    served.wsgi_app = _serving_axe(served.wsgi_app)
    server = make_server("127.0.0.1", port, served, threaded=True)
    # serve_forever notices shutdown() between polls: the default half second, idle, after every test
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    served.base_url = base
    yield served
    server.shutdown()
    thread.join(timeout=5)
    with served.app_context():
        db.engine.dispose()  # close the served app's own connection pool


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM} and REQUIRE_BROWSER=1")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def open_page(browser, live_server, browser_login):
    """open_page(email, path): a phone-sized window of its own, signed in as email, at path."""
    contexts = []

    def open_as(email, path="/rooms/welcome"):
        context = browser.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        browser_login(page, email)
        page.goto(path)
        return page

    yield open_as
    for context in contexts:
        context.close()


# axe-core as axe-playwright-python ships it. Its runner evaluates the whole script (≈ 550 KB)
# before every run, ≈ 45 ms of compiling in Chromium each time; the live server serves it instead
# at AXE_URL (cacheable, same origin, so the portal's CSP allows it), and a page loads it once:
# Chromium then keeps the compiled code between pages.
AXE_SCRIPT = Path(axe_playwright_python.__file__).with_name("axe.min.js")
AXE_URL = "/__tests__/axe.min.js"


def _serving_axe(wsgi_app):
    """The portal's WSGI app, with axe-core at AXE_URL (the tests' own file, never the portal's)."""
    body = AXE_SCRIPT.read_bytes()
    headers = [
        ("Content-Type", "text/javascript; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "max-age=3600"),
    ]

    def app(environ, start_response):
        if environ.get("PATH_INFO") != AXE_URL:
            return wsgi_app(environ, start_response)
        start_response("200 OK", headers)
        return [body]

    return app


# What Chromium says when axe is evaluated in a document that a navigation is replacing.
_NAVIGATING = ("Execution context was destroyed", "reading 'documentElement'", "navigation")


# The whole of axe-core, violations only: what every page must pass.
AXE_OPTIONS = {"resultTypes": ["violations"]}
# color-contrast is nine tenths of an axe run (it computes the colours behind every piece of
# text). The colours come from the stylesheet's classes, the same in both languages and at any
# phone width, so a page checked in full in English at 360 px is checked again in Spanish with
# every other rule (names, labels, landmarks, lists, scroll boxes).
WITHOUT_CONTRAST = {**AXE_OPTIONS, "rules": {"color-contrast": {"enabled": False}}}
# Of the rules axe-core runs by default, the one whose findings depend on the width of the window
# when no stylesheet breakpoint lies between two widths (tests/e2e/test_accessibility_crawl.py
# checks there is none between 360 and 390 px): what is shown, named and nested is then the same
# at both, and only sizes and overflow differ — a box that scrolls at one width and not the other.
# (color-contrast also looks at layout, what covers what; it is checked at 360 px.)
GEOMETRY_RULES = ["scrollable-region-focusable"]


def _run_axe(page, options=AXE_OPTIONS, attempts=3):
    """axe.run once the page has loaded.

    A click on a link returns as soon as the navigation starts; evaluating axe in that moment
    meets a document that is being replaced. Waiting for the load event settles it, and a
    navigation caught mid-flight is retried rather than reported as a failure of the page.
    """
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(attempts):
        page.wait_for_load_state("load")
        try:
            if not page.evaluate("typeof window.axe === 'object'"):
                page.add_script_tag(url=AXE_URL)
            return page.evaluate("options => axe.run(document, options)", options)
        except PlaywrightError as error:
            if attempt == attempts - 1 or not any(marker in str(error) for marker in _NAVIGATING):
                raise
    raise AssertionError("unreachable")


@pytest.fixture
def assert_accessible():
    """Run axe-core on the current page; fail with the list of violations if there are any."""

    def check(page, contrast=True, only=None):
        """`only`: a list of rule ids to run instead of all of them (e.g. GEOMETRY_RULES)."""
        if only:
            options = {**AXE_OPTIONS, "runOnly": {"type": "rule", "values": only}}
        else:
            options = AXE_OPTIONS if contrast else WITHOUT_CONTRAST
        violations = _run_axe(page, options)["violations"]
        summary = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in violations
        ]
        assert not violations, f"axe violations on {page.url}:\n" + "\n".join(summary)

    return check


@pytest.fixture
def browser_login():
    """Sign in through the real form in the browser."""

    def login(page, email, password=PASSWORD):
        page.goto("/auth/login")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url("**/dashboard")

    return login
