"""How the browser keeps the files in static/: versioned URLs, cached for a year.

`url_for('static', filename=…)` adds `v=<hash of the file>`; a response to a URL whose `v` is the
file's current hash may be kept for a year without asking again (a new deploy changes the hash,
so the page names a new URL). Files reached without it (the modules a script imports, the
images a stylesheet names) are revalidated each time (`no-cache`: a 304 when unchanged).

Static files are the same for everyone, so their requests skip the signed-in work of a page
(`portal.__init__.start_request` returns early for them): no session record is read and the
idle timer does not move. Before this, each of a page's stylesheets and scripts cost a signed-in
visitor a session read and came back `no-store`, so a phone fetched them all again on every page.
"""

import hashlib
import os
from functools import lru_cache

from flask import current_app, request

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"


def is_static_request():
    return request.endpoint == "static"


def version(filename):
    """A short hash of static/<filename>'s content ("" when there is no such file)."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        changed = os.stat(path).st_mtime_ns
    except (OSError, ValueError):
        return ""
    return _digest(path, changed)


@lru_cache(maxsize=512)
def _digest(path, changed):  # `changed` (the file's mtime) keys the cache: an edited file is read again
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def add_version(endpoint, values):
    """url_defaults: static URLs carry their file's version."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        current = version(values["filename"])
        if current:
            values["v"] = current


def set_cache_policy(response):
    """after_request, for static files only (security.set_security_headers leaves them alone)."""
    if is_static_request() and response.status_code in (200, 304):
        asked = request.args.get("v")
        current = asked and version(request.view_args.get("filename", ""))
        response.headers["Cache-Control"] = IMMUTABLE if asked and asked == current else "no-cache"
    return response


def register(app):
    app.url_defaults(add_version)
    app.after_request(set_cache_policy)
