"""The Curriculum 2.0 journey in Chromium (issue 10, "Done when"): a family member picks a role,
follows the recommended path, answers a scenario check wrongly and sees that option's own
explanation, fills and exports a worksheet, commits to a "Try this week" practice, signs out,
signs in again, is asked about it on the dashboard and answers. axe runs on every new state."""

from pathlib import Path

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons import tracks
from portal.lessons.content import read_curriculum
from portal.lessons.loader import load_curriculum
from portal.lessons.models import Lesson, PracticeCommitment, Question
from tests.factories import make_user

PRACTICE_LESSON = "understanding-your-loved-ones-use"


def source_of(slug):
    return next(lesson for module in read_curriculum() for lesson in module.lessons if lesson.slug == slug)


def test_role_path_scenario_worksheet_practice_and_the_follow_up(page, browser_login, assert_accessible):
    load_curriculum()
    make_user(email="journey@example.org", display_name="Robin")
    path_slugs = tracks.track_for("parent_teen").lessons
    assert PRACTICE_LESSON in path_slugs
    browser_login(page, "journey@example.org")

    # 1. A role on the Learn page, then the recommended path.
    page.goto("/lessons/")
    page.select_option("#family_role", "parent_teen")
    page.click("text=Show my path")
    page.wait_for_url("**/lessons/#recommended-path")
    page.locator("#recommended-path a.button", has_text="Start:").click()
    page.wait_for_url(f"**/lessons/read/{path_slugs[0]}")

    # 2. A scenario question answered wrongly shows the explanation written for that option.
    source = source_of(path_slugs[0])
    position, scenario = next((n, q) for n, q in enumerate(source.questions) if q.scenario)
    wrong = next(n for n in range(len(scenario.choices)) if n != scenario.answer)
    question_id = db.session.scalar(
        sa.select(Question.id).join(Lesson).where(Lesson.slug == path_slugs[0], Question.position == position)
    )
    form = page.locator(f"#question-{question_id}")
    form.locator(f"#q{question_id}-c{wrong}").check()
    form.locator("button", has_text="Check my answer").click()
    form.locator(".feedback").wait_for()
    assert scenario.feedback[wrong] in form.inner_text()
    assert scenario.feedback[scenario.answer] not in form.inner_text()
    assert_accessible(page)

    # 3. Follow the path, lesson by lesson, to the one with the worksheet and the practice.
    while True:
        page.click("text=Mark this lesson complete")
        page.wait_for_load_state()
        page.goto("/lessons/")
        page.locator("#recommended-path li.next-lesson > a").click()
        page.wait_for_url("**/lessons/read/**")
        if page.url.endswith(PRACTICE_LESSON):
            break

    # 4. Fill in and export the worksheet.
    page.click("text=Worksheet: Understanding one time of use")
    page.wait_for_url("**/lessons/worksheets/functional-analysis")
    page.fill("textarea[name=triggers]", "Sunday evenings before school")
    page.click("text=Save worksheet")
    page.get_by_text("Your worksheet is saved").wait_for()
    page.click("main >> text=My worksheets")
    page.wait_for_url("**/lessons/worksheets")
    with page.expect_download() as info:
        page.click("text=Download my worksheets and reflections as text (Markdown)")
    assert "Sunday evenings before school" in Path(info.value.path()).read_text(encoding="utf-8")

    # 5. Commit to the lesson's practice.
    practice_text = source_of(PRACTICE_LESSON).practice.text
    page.goto(f"/lessons/read/{PRACTICE_LESSON}")
    box = page.locator("#try-this-week")
    assert practice_text in box.inner_text()
    assert_accessible(page)
    box.locator("button", has_text="I'll try this").click()
    page.wait_for_url(f"**/lessons/read/{PRACTICE_LESSON}#try-this-week")
    assert "You chose to try this" in page.locator("#try-this-week").inner_text()
    assert_accessible(page)
    page.goto("/dashboard")
    assert "How did it go?" not in page.inner_text("main")  # not in the visit it was made in

    # 6. Sign out, sign in again: the dashboard asks how it went.
    page.click("header button:has-text('Sign out')")
    page.wait_for_url("**/")
    browser_login(page, "journey@example.org")
    card = page.locator("section.card", has_text="How did it go?")
    assert practice_text in card.inner_text()
    assert_accessible(page)
    card.get_by_label("It went badly").check()
    card.locator("button", has_text="Tell us how it went").click()
    page.wait_for_url("**/lessons/practice/*#next-step")
    followup = source_of(source_of(PRACTICE_LESSON).practice.followup)
    assert followup.title in page.locator("#next-step").inner_text()
    assert_accessible(page)

    # 7. The optional note: too long is refused next to the field; then saved and shared.
    page.eval_on_selector("#note", "el => el.removeAttribute('maxlength')")
    page.fill("#note", "x" * 2_001)
    page.click("text=Save note")
    page.wait_for_selector(".error-summary")
    assert "under 2,000 characters" in page.inner_text("#note-error")
    assert_accessible(page)
    page.fill("#note", "We argued. <script>alert(1)</script>")
    page.check("#share")
    page.click("text=Save note")
    page.get_by_text("Your note is saved and shared").wait_for()
    assert "We argued." in page.inner_text(".saved-note")
    assert_accessible(page)

    page.goto("/dashboard")
    assert "How did it go?" not in page.inner_text("main")
    commitment = db.session.scalar(sa.select(PracticeCommitment))
    db.session.refresh(commitment)
    assert commitment.outcome == "went_badly" and commitment.note_shared
    assert "<script" not in commitment.note_html


def test_commit_and_answer_without_javascript(browser, live_server, browser_login):
    load_curriculum()
    make_user(email="nojs-practice@example.org")
    context = browser.new_context(base_url=live_server.base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, "nojs-practice@example.org")
        page.goto("/lessons/read/realistic-self-care")
        page.click('#try-this-week button:has-text("I\'ll try this")')
        page.wait_for_url("**/lessons/read/realistic-self-care#try-this-week")
        page.click("header button:has-text('Sign out')")
        page.wait_for_url("**/")
        browser_login(page, "nojs-practice@example.org")
        card = page.locator("section.card", has_text="How did it go?")
        card.get_by_label("I didn't get to it").check()
        card.locator("button", has_text="Tell us how it went").click()
        page.wait_for_url("**/lessons/practice/*#next-step")
        page.click("text=Keep it for another week")
        page.wait_for_url("**/lessons/read/realistic-self-care#try-this-week")
        assert "You chose to try this" in page.inner_text("#try-this-week")
    finally:
        context.close()
    outcomes = sorted(c.outcome or "open" for c in db.session.scalars(sa.select(PracticeCommitment)))
    assert outcomes == ["not_yet", "open"]
