"""Static files: versioned URLs the browser keeps for a year, no session work, no `no-store`."""

import os
import re
from datetime import timedelta

import pytest

from portal.auth.models import SessionRecord
from portal.extensions import db
from portal.static_assets import IMMUTABLE, version
from tests.statements import counting

STYLESHEET = re.compile(r'href="(/static/css/portal\.css\?v=([0-9a-f]{12}))"')
SCRIPT = re.compile(r'src="(/static/js/session\.js\?v=([0-9a-f]{12}))"')


@pytest.fixture
def signed_in(auth, family):
    auth.login(family.email)
    return family


def test_pages_name_their_files_with_the_files_version(client, signed_in, app):
    page = client.get("/dashboard").get_data(as_text=True)
    css, css_version = STYLESHEET.search(page).groups()
    script, script_version = SCRIPT.search(page).groups()
    with app.test_request_context():
        assert css_version == version("css/portal.css") and script_version == version("js/session.js")
    assert css_version != script_version

    for url in (css, script):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE


def test_the_page_itself_is_still_not_stored(client, signed_in):
    assert client.get("/dashboard").headers["Cache-Control"].startswith("no-store")


QUERIES = {
    "none": "",
    "empty": "?v=",
    "stale": "?v=000000000000",
    "hostile": "?v=%3Cscript%3E' OR 1=1--",
    "huge": "?v=" + "f" * 5000,
    "twice": "?v=a&v=b",
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_a_file_asked_for_without_its_current_version_is_revalidated(client, signed_in, query):
    response = client.get(f"/static/css/portal.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get(f"/static/css/portal.css{query}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_static_file_costs_a_signed_in_visitor_no_statement_and_no_activity(client, signed_in, app):
    record = db.session.scalars(db.select(SessionRecord)).one()
    long_ago = record.last_seen_at - timedelta(minutes=10)
    record.last_seen_at = long_ago
    db.session.commit()
    with counting() as statements:
        response = client.get("/static/js/rooms/main.js")
    assert response.status_code == 200
    assert statements == []
    assert "Set-Cookie" not in response.headers
    db.session.expire_all()
    assert db.session.get(SessionRecord, record.id).last_seen_at == long_ago  # fetching a file is not activity


def test_an_edited_file_gets_a_new_version(app, tmp_path):
    (tmp_path / "probe.css").write_text("p { color: black; }")
    app.static_folder = str(tmp_path)
    with app.test_request_context():
        before = version("probe.css")
        (tmp_path / "probe.css").write_text("p { color: navy; }")
        os.utime(tmp_path / "probe.css", ns=(1, 1))  # a different modification time
        assert version("probe.css") != before
        assert version("no-such-file.css") == "" and version("../../etc/passwd\x00") == ""


@pytest.mark.parametrize("path", ["/static/../portal/config.py", "/static/%2e%2e/wsgi.py", "/static/no-such.css"])
def test_paths_outside_static_or_missing_are_404(client, signed_in, path):
    response = client.get(path + "?v=1")
    assert response.status_code == 404
