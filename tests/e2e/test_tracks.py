"""Tracks in Chromium: a family member picks a role on the Learn page, sees the recommended
path and opens its first lesson; the track's own page passes axe too."""

from portal.auth.models import User
from portal.extensions import db
from portal.lessons import tracks
from portal.lessons.loader import load_curriculum
from tests.factories import make_user


def test_family_member_picks_a_role_and_follows_the_recommended_path(page, browser_login, assert_accessible):
    load_curriculum()
    user = make_user(email="parent@example.org", display_name="Robin")
    track = tracks.track_for("parent_teen")
    browser_login(page, "parent@example.org")

    page.goto("/lessons/")
    assert "Get a recommended path" in page.inner_text("#recommended-path")
    assert_accessible(page)

    # A choice is needed: submitting the blank option shows the field error (422).
    with page.expect_navigation() as sent:
        page.click("text=Show my path")
    assert sent.value.status == 422
    assert page.get_attribute("#family_role", "aria-invalid") == "true"
    assert_accessible(page)

    page.select_option("#family_role", "parent_teen")
    page.click("text=Show my path")
    page.wait_for_url("**/lessons/#recommended-path")
    path = page.locator("#recommended-path")
    assert "Your recommended path" in path.locator("h2").inner_text()
    assert f"0 of {len(track.lessons)} lessons complete" in path.inner_text()
    titles = path.locator("ol.track-lessons li > a").all_inner_texts()
    assert len(titles) == len(track.lessons)
    assert path.locator("li.next-lesson").count() == 1
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.get(User, user.id).family_role == "parent_teen"

    path.locator("a.button", has_text="Start:").click()
    page.wait_for_url(f"**/lessons/read/{track.lessons[0]}")
    assert page.inner_text("h1") == titles[0]
    page.click("text=Mark this lesson complete")
    page.wait_for_load_state()

    page.goto("/lessons/")
    path = page.locator("#recommended-path")
    assert f"1 of {len(track.lessons)} lessons complete" in path.inner_text()
    assert path.locator("li.next-lesson > a").inner_text() == titles[1]

    page.click("text=About this path")
    page.wait_for_url("**/lessons/tracks/parent_teen")
    assert "42 CFR Part 2" in page.inner_text("main")
    assert_accessible(page)
