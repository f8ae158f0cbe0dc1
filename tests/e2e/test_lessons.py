"""Lessons in Chromium: a family member works through the whole curriculum from the dashboard."""

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons import services
from portal.lessons.loader import load_curriculum
from portal.lessons.models import Certificate, Lesson, LessonProgress
from portal.security import Role
from tests.factories import link_family, make_client, make_user


def fits(page):
    """Readable at phone width: nothing makes the page scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def test_family_member_completes_every_lesson_from_the_dashboard(page, browser_login, assert_accessible):
    load_curriculum()
    user = make_user(email="learner@example.org", display_name="Jordan")
    lesson_total = db.session.scalar(sa.select(sa.func.count()).select_from(Lesson))
    browser_login(page, "learner@example.org")

    page.click("text=All modules and your progress")
    page.wait_for_url("**/lessons/")
    assert_accessible(page)
    fits(page)
    module_links = page.locator("ol.module-list h3 a")
    module_count = module_links.count()
    assert module_count == 10

    completed, certificates_seen = 0, 0
    for index in range(module_count):
        page.locator("ol.module-list h3 a").nth(index).click()
        page.wait_for_url("**/lessons/modules/**")
        if index == 0:
            assert_accessible(page)
            fits(page)
        page.locator("main a.button", has_text=re.compile("^(Start|Continue)")).click()
        while True:
            page.wait_for_url("**/lessons/read/**")
            if completed == 0:
                check_knowledge_and_reflect(page, assert_accessible)
            page.click("text=Mark this lesson complete")
            completed += 1
            page.wait_for_load_state()
            if "/lessons/certificates/" in page.url:
                certificates_seen += 1
                assert "Certificate of completion" in page.inner_text("h1")
                assert "Jordan" in page.inner_text(".certificate-name")
                if certificates_seen == 1:
                    assert_accessible(page)
                    fits(page)
                    code = page.inner_text(".certificate-code strong")
                page.click("text=Back to all modules")
                page.wait_for_url("**/lessons/")
                break
            assert "You completed this lesson" in page.inner_text("#next-steps")
            page.click("a[rel=next]")

    assert completed == lesson_total == 41 and certificates_seen == 10
    assert page.locator("text=4 of 4 lessons complete").count() == 9
    assert page.locator("text=5 of 5 lessons complete").count() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate).filter_by(user_id=user.id)) == 10
    done = sa.select(sa.func.count()).select_from(LessonProgress).where(LessonProgress.completed_at.is_not(None))
    assert db.session.scalar(done) == 41

    for path in ("/lessons/reflections", "/lessons/certificates", "/dashboard"):
        page.goto(path)
        assert_accessible(page)
        fits(page)
    page.goto("/lessons/")
    page.fill("#q", "naloxone")
    page.keyboard.press("Enter")
    page.wait_for_url("**/lessons/search?q=naloxone")
    assert page.locator(".search-results mark").count() > 0
    assert_accessible(page)
    fits(page)

    page.click("header button:has-text('Sign out')")
    page.goto(f"/lessons/certificates/verify/{code}")
    assert "This certificate is genuine" in page.inner_text("main")
    assert_accessible(page)
    fits(page)
    page.goto("/lessons/certificates/verify")
    page.fill("#code", "FB-NOPE0-NOPE0")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Not found").wait_for()
    assert_accessible(page)


def check_knowledge_and_reflect(page, assert_accessible):
    """On the first lesson: answer a question (JS-enhanced), save a reflection, check axe."""
    question = page.locator("form[data-question]").first
    question.locator("input[type=radio]").first.check()
    question.locator("button", has_text="Check my answer").click()
    question.locator(".feedback").wait_for()
    assert question.locator(".feedback-verdict").inner_text()
    page.fill("#body", "Today I learned that I am part of this too.")
    page.click("text=Save reflection")
    page.get_by_text("Your reflection is saved").wait_for()
    assert_accessible(page)
    fits(page)


def test_knowledge_check_works_without_javascript(browser, live_server, browser_login):
    load_curriculum()
    make_user(email="nojs@example.org")
    context = browser.new_context(base_url=live_server.base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, "nojs@example.org")
        page.goto("/lessons/read/understanding-relapse")
        question = page.locator("form[data-question]").nth(1)
        question.locator("input[type=radio]").first.check()
        question.locator("button").click()
        page.wait_for_url("**/lessons/read/understanding-relapse#question-*")
        assert "That's right." in page.locator("form[data-question]").nth(1).inner_text()
        # A wrong answer shows the explanation written for the option that was picked.
        first = page.locator("form[data-question]").first
        first.locator("input[type=radio]").first.check()
        first.locator("button").click()
        page.wait_for_url("**/lessons/read/understanding-relapse#question-*")
        text = page.locator("form[data-question]").first.inner_text()
        assert "Not quite." in text and "About the answer you chose:" in text
        assert "She doesn't start from zero. Her skills and sober time still count." in text
    finally:
        context.close()


def test_authoring_pages_are_accessible_and_preview_is_live(page, browser_login, assert_accessible):
    load_curriculum()
    author = make_user(email="author@example.org", roles=(Role.COUNSELOR,))
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="understanding-relapse"))
    browser_login(page, "author@example.org")

    page.goto("/lessons/author")
    assert_accessible(page)
    page.goto(f"/lessons/author/lessons/{lesson.id}")
    assert_accessible(page)
    page.fill("#body", "## Preview works\n\n<script>window.pwned = 1</script> **bold**")
    page.locator("#lesson-preview h2", has_text="Preview works").wait_for()
    assert page.locator("#lesson-preview strong").inner_text() == "bold"
    assert page.locator("#lesson-preview script").count() == 0
    assert page.evaluate("window.pwned") is None
    page.click("text=Save lesson")
    page.get_by_text("Lesson saved.").wait_for()

    page.click("text=Revision history")
    assert_accessible(page)
    page.locator("main table a").last.click()
    page.locator("pre.diff").wait_for()
    assert_accessible(page)
    page.goto(f"/lessons/author/lessons/{lesson.id}/questions")
    assert_accessible(page)
    member = make_user(email="sharer@example.org", display_name="Pat")
    client_row = make_client(counselor=author, full_name="Sam Rivera")
    link_family(member, client_row, witness=author)
    services.set_sharing(member, True)
    services.complete_lesson(member, lesson)
    page.goto("/dashboard")
    page.click("text=Family learning for Sam Rivera")
    page.get_by_role("heading", name="Pat").wait_for()
    assert_accessible(page)
    page.goto("/lessons/author/modules/new")
    page.click("text=Save module")  # empty: field errors
    page.locator(".error-summary").wait_for()
    assert_accessible(page)


def test_knowledge_check_and_completion_by_keyboard(page, browser_login):
    load_curriculum()
    make_user(email="keys@example.org")
    browser_login(page, "keys@example.org")
    page.goto("/lessons/read/understanding-relapse")
    page.focus("form[data-question] input[type=radio] >> nth=0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # moves to and selects the third answer, the right one
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    feedback = page.locator("form[data-question]").first.locator(".feedback-verdict")
    feedback.wait_for()
    assert feedback.inner_text() == "That's right."
    page.focus("#next-steps button")
    page.keyboard.press("Enter")
    page.get_by_text("You completed this lesson").wait_for()
