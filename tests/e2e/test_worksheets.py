"""Worksheets in Chromium: a family member fills one in from its lesson, edits it and exports it."""

from pathlib import Path

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons.loader import load_curriculum
from portal.lessons.models import WorksheetEntry
from tests.factories import make_user


def test_fill_edit_and_export_a_worksheet(page, browser_login, assert_accessible):
    load_curriculum()
    make_user(email="sheets@example.org", display_name="Jordan")
    browser_login(page, "sheets@example.org")

    page.goto("/lessons/read/understanding-your-loved-ones-use")
    page.click("text=Worksheet: Understanding one time of use")
    page.wait_for_url("**/lessons/worksheets/functional-analysis")
    assert_accessible(page)
    page.fill("textarea[name=triggers]", "Friday nights after a hard week <script>alert(1)</script>")
    page.fill("textarea[name=gains]", "Relief")
    page.click("text=Save worksheet")
    page.wait_for_url("**/lessons/worksheets/functional-analysis")
    assert "Your worksheet is saved" in page.inner_text("main")
    assert page.input_value("textarea[name=triggers]").startswith("Friday nights")

    # the browser itself stops at 4,000 characters (maxlength); without it, the server refuses
    page.eval_on_selector("textarea[name=costs]", "el => el.removeAttribute('maxlength')")
    page.fill("textarea[name=costs]", "x" * 4_001)
    page.click("text=Save worksheet")
    page.wait_for_selector(".error-summary")
    assert "under 4,000 characters" in page.inner_text("main")
    assert_accessible(page)

    page.click("main >> text=My worksheets")
    page.wait_for_url("**/lessons/worksheets")
    assert_accessible(page)
    assert "Last saved" in page.inner_text("main")
    with page.expect_download() as info:
        page.click("text=Download my worksheets and reflections as text (Markdown)")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert "## My worksheets" in text and "Friday nights after a hard week" in text and "Relief" in text
    with page.expect_download() as info:
        page.click("text=Download my worksheets and reflections as PDF")
    assert Path(info.value.path()).read_bytes()[:4] == b"%PDF"
    entry = db.session.scalar(sa.select(WorksheetEntry))
    assert entry.answers["gains"] == "Relief" and entry.answers["costs"] == ""
