"""The page scripts are native ES modules served from static/js/ (no bundler, no inline script)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
SCRIPT_TAG = re.compile(r"<script\b[^>]*\bsrc=\"\{\{ url_for\('static', filename='([^']+)'\) \}\}\"([^>]*)>")
IMPORT = re.compile(r'^import\b[^;]*?from "([^"]+)";', re.M)


def script_tags():
    for template in sorted((ROOT / "templates").rglob("*.html")):
        for match in SCRIPT_TAG.finditer(template.read_text()):
            yield template.relative_to(ROOT), match.group(1), match.group(2)


def test_every_page_script_of_ours_is_a_module_that_exists():
    tags = list(script_tags())
    assert tags, "no script tags found: the pattern is out of date"
    for template, path, attributes in tags:
        assert (STATIC / path).is_file(), f"{template}: static/{path} does not exist"
        if path.startswith("js/"):
            assert 'type="module"' in attributes, f"{template}: {path} is loaded as a classic script"


def test_every_import_resolves_to_a_file_in_static():
    modules = sorted((STATIC / "js").rglob("*.js"))
    assert len(modules) >= 8
    for module in modules:
        for target in IMPORT.findall(module.read_text()):
            assert target.startswith("./") or target.startswith("../"), f"{module}: bare import {target!r}"
            assert (module.parent / target).resolve().is_file(), f"{module}: {target} does not exist"


def test_each_script_is_written_once():
    """auth.js and care.js were one file twice; the shared helpers live in common.js only."""
    bodies = {}
    for module in sorted((STATIC / "js").rglob("*.js")):
        text = module.read_text()
        assert text not in bodies, f"{module} repeats {bodies.get(text)}"
        bodies[text] = module
        if module.name != "common.js":
            assert "function textOf" not in text and "function csrfToken" not in text, f"{module}: use common.js"


def test_modules_are_served_as_javascript_under_a_csp_that_allows_them(client):
    response = client.get("/static/js/rooms/main.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    page = client.get("/auth/login")
    policy = dict(part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"  # module scripts and their imports from our origin, nothing inline
