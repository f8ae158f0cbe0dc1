"""`flask curriculum load`: upsert by slug, idempotent, progress kept, portal edits kept."""

import shutil

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.lessons import authoring, services
from portal.lessons.content import read_curriculum
from portal.lessons.loader import load_curriculum
from portal.lessons.models import Lesson, LessonProgress, LessonRevision, Module, Question, QuizAnswer
from tests.factories import make_user

SOURCES = read_curriculum()
MODULES, LESSONS = len(SOURCES), sum(len(m.lessons) for m in SOURCES)


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def copy_content(tmp_path):
    from portal.lessons.content import CONTENT_DIR

    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def test_load_creates_every_module_and_lesson(app):
    report = load_curriculum()
    assert report["modules created"] == MODULES == 13
    assert report["lessons created"] == LESSONS >= 51
    assert count(Module) == MODULES and count(Lesson) == LESSONS
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="understanding-relapse"))
    assert lesson.module.slug == "relapse-and-safety"
    assert "<h2>What relapse means</h2>" in lesson.body_html
    assert len(lesson.questions) == 3 and lesson.questions[1].answer == 0
    assert lesson.minutes == 6 and lesson.reflection_prompt.startswith("What fears")


def test_second_load_changes_nothing(app):
    load_curriculum()
    before = {x.slug: (x.id, x.updated_at) for x in db.session.scalars(sa.select(Lesson))}
    revisions, questions = count(LessonRevision), count(Question)
    report = load_curriculum()
    assert report == {"modules unchanged": MODULES, "lessons unchanged": LESSONS}
    after = {x.slug: (x.id, x.updated_at) for x in db.session.scalars(sa.select(Lesson))}
    assert before == after
    assert count(LessonRevision) == revisions and count(Question) == questions


def test_progress_and_answers_survive_a_reload_with_changed_text(app, tmp_path):
    root = copy_content(tmp_path)
    load_curriculum(root)
    user = make_user()
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="understanding-relapse"))
    services.complete_lesson(user, lesson)
    services.answer_question(user, lesson, lesson.questions[0].id, 1)
    services.save_reflection(user, lesson, "My note")
    path = root / "06-relapse-and-safety" / "01-understanding-relapse.md"
    path.write_text(path.read_text().replace("## Relapse is common", "## Relapse is common and treatable"))
    report = load_curriculum(root)
    assert report["lessons updated"] == 1 and report["lessons unchanged"] == LESSONS - 1
    db.session.expire_all()
    reloaded = db.session.scalar(sa.select(Lesson).filter_by(slug="understanding-relapse"))
    assert reloaded.id == lesson.id
    assert "common and treatable" in reloaded.body_html
    progress = db.session.scalar(sa.select(LessonProgress).filter_by(user_id=user.id))
    assert progress.lesson_id == lesson.id and progress.completed_at is not None
    assert count(QuizAnswer) == 1  # the question itself did not change
    assert services.reflection_for(user, reloaded).body == "My note"


def test_a_changed_question_drops_answers_to_the_old_wording(app, tmp_path):
    root = copy_content(tmp_path)
    load_curriculum(root)
    user = make_user()
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="understanding-relapse"))
    services.answer_question(user, lesson, lesson.questions[1].id, 1)
    path = root / "06-relapse-and-safety" / "01-understanding-relapse.md"
    path.write_text(path.read_text().replace("Why is a return to opioids", "Why is going back to opioids"))
    load_curriculum(root)
    assert count(QuizAnswer) == 0


def test_portal_edits_are_kept_unless_forced(app, runner, tmp_path):
    root = copy_content(tmp_path)
    load_curriculum(root)
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="understanding-relapse"))
    author = make_user(roles=("counselor",))
    authoring.save_lesson(
        lesson,
        author,
        module_id=lesson.module_id,
        title="Edited in the portal",
        slug=lesson.slug,
        summary="s",
        minutes=7,
        reflection_prompt="r",
        body="Edited body",
        status="published",
    )
    path = root / "06-relapse-and-safety" / "01-understanding-relapse.md"
    path.write_text(path.read_text().replace("## Relapse is common", "## Changed in files"))

    result = runner.invoke(args=["curriculum", "load", "--path", str(root)])
    assert result.exit_code == 0, result.output
    assert "lessons kept portal edits: 1" in result.output
    db.session.expire_all()
    assert db.session.get(Lesson, lesson.id).title == "Edited in the portal"

    result = runner.invoke(args=["curriculum", "load", "--force", "--path", str(root)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    forced = db.session.get(Lesson, lesson.id)
    assert forced.title == "Relapse is not failure"
    assert "Changed in files" in forced.body_html and not forced.edited_in_portal


def test_cli_load_reports_counts(app, runner):
    result = runner.invoke(args=["curriculum", "load"])
    assert result.exit_code == 0, result.output
    assert f"lessons created: {LESSONS}" in result.output
    result = runner.invoke(args=["curriculum", "load"])
    assert f"lessons unchanged: {LESSONS}" in result.output


def test_broken_front_matter_is_a_clear_cli_error(app, runner, tmp_path):
    folder = tmp_path / "content" / "01-x"
    folder.mkdir(parents=True)
    (folder / "_module.md").write_text("---\ntitle: X\nslug: x\n---\nIntro\n")
    (folder / "01-a.md").write_text(
        "---\ntitle: A\nslug: a\nquestions:\n  - prompt: Q\n    choices: [a, b]\n    answer: 5\n---\nBody\n"
    )
    result = runner.invoke(args=["curriculum", "load", "--path", str(tmp_path / "content")])
    assert result.exit_code != 0
    assert "no valid answer index" in result.output
    assert count(Lesson) == 0


def test_seed_demo_loads_the_whole_curriculum(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert count(Lesson) == LESSONS and count(Module) == MODULES
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert count(Lesson) == LESSONS


def test_stats_command_reports_lessons_words_and_grade(app, runner):
    result = runner.invoke(args=["curriculum", "stats"])
    assert result.exit_code == 0, result.output
    assert f"lessons: {LESSONS}" in result.output
    assert "median Flesch-Kincaid grade:" in result.output


def test_a_module_edited_in_the_portal_is_kept_too(app):
    load_curriculum()
    module = db.session.scalar(sa.select(Module).filter_by(slug="rebuilding-trust"))
    authoring.save_module(
        module, title="Trust, step by step", slug=module.slug, summary="s", intro="i", status="published"
    )
    report = load_curriculum()
    assert report["modules kept portal edits"] == 1 and report["modules unchanged"] == MODULES - 1
    assert db.session.get(Module, module.id).title == "Trust, step by step"
    assert load_curriculum(force=True)["modules updated"] == 1
    assert db.session.get(Module, module.id).title == "Rebuilding trust"


OLD_FORMAT = """---
title: Old
slug: old-format
order: 1
questions:
  - prompt: Old question?
    choices: ["Yes", "No"]
    answer: 0
    explanation: Because yes.
---
Body of the old lesson.
"""

NEW_FORMAT = """---
title: New
slug: new-format
order: 2
questions:
  - prompt: Your son comes home two hours late and will not say where he was. What do you do?
    scenario: true
    choices:
      - text: Wait until you are both calm, then ask
        feedback: A calm time makes an honest talk more likely.
      - text: Search his room that night
        feedback: Searching raises tension and cannot stop use.
    answer: 0
---
Body of the new lesson.
"""


def small_content(tmp_path, new_format=NEW_FORMAT):
    folder = tmp_path / "content" / "01-m"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_module.md").write_text("---\ntitle: M\nslug: m\norder: 1\n---\nIntro\n")
    (folder / "01-old.md").write_text(OLD_FORMAT)
    (folder / "02-new.md").write_text(new_format)
    return tmp_path / "content"


def test_old_and_new_question_formats_load_side_by_side(app, tmp_path):
    root = small_content(tmp_path)
    assert load_curriculum(root) == {"modules created": 1, "lessons created": 2}
    old = db.session.scalar(sa.select(Lesson).filter_by(slug="old-format")).questions[0]
    assert old.choices == ["Yes", "No"] and old.feedback is None and old.feedback_for(1) == "Because yes."
    new = db.session.scalar(sa.select(Lesson).filter_by(slug="new-format")).questions[0]
    assert new.choices == ["Wait until you are both calm, then ask", "Search his room that night"]
    assert new.feedback == [
        "A calm time makes an honest talk more likely.",
        "Searching raises tension and cannot stop use.",
    ]
    assert new.feedback_for(1) == "Searching raises tension and cannot stop use." and new.explanation == ""
    assert load_curriculum(root) == {"modules unchanged": 1, "lessons unchanged": 2}


def test_an_old_format_file_keeps_its_fingerprint(tmp_path):
    """Files not yet moved to per-choice feedback are not reloaded just because the format grew."""
    from portal.lessons.content import read_lesson
    from portal.lessons.models import source_hash

    root = small_content(tmp_path)
    lesson = read_lesson(root / "01-m" / "01-old.md")
    q = lesson.questions[0]
    before = source_hash(lesson.title, 1, 5, "", "", lesson.body, q.prompt, *q.choices, q.answer, q.explanation)
    assert lesson.fingerprint == before


def test_changed_feedback_updates_the_question_and_keeps_answers(app, tmp_path):
    root = small_content(tmp_path)
    load_curriculum(root)
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="new-format"))
    services.answer_question(make_user(), lesson, lesson.questions[0].id, 1)
    (root / "01-m" / "02-new.md").write_text(NEW_FORMAT.replace("cannot stop use", "does not stop use"))
    assert load_curriculum(root)["lessons updated"] == 1
    db.session.expire_all()
    assert lesson.questions[0].feedback[1] == "Searching raises tension and does not stop use."
    assert count(QuizAnswer) == 1  # same prompt, choices and answer: the learner's answer still applies


def test_force_load_replaces_checks_edited_in_the_portal(app, runner, tmp_path):
    root = small_content(tmp_path)
    load_curriculum(root)
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="new-format"))
    authoring.save_question(
        lesson,
        lesson.questions[0],
        prompt="Portal prompt?",
        choices=["A", "B"],
        answer=1,
        explanation="",
        feedback=["x", "y"],
    )
    authoring.save_question(lesson, None, prompt="Added?", choices=["C", "D"], answer=0, explanation="e")

    result = runner.invoke(args=["curriculum", "load", "--path", str(root)])
    assert "lessons kept portal edits: 1" in result.output
    db.session.expire_all()
    assert [q.prompt for q in lesson.questions] == ["Portal prompt?", "Added?"]

    result = runner.invoke(args=["curriculum", "load", "--force", "--path", str(root)])
    assert result.exit_code == 0 and "lessons updated: 1" in result.output, result.output
    db.session.expire_all()
    assert len(lesson.questions) == 1 and not lesson.edited_in_portal
    question = lesson.questions[0]
    assert question.prompt.startswith("Your son comes home") and question.answer == 0
    assert question.feedback[0] == "A calm time makes an honest talk more likely."


def test_a_choice_without_text_is_a_clear_error(app, runner, tmp_path):
    root = small_content(tmp_path, NEW_FORMAT.replace("text: Search his room that night", "feedback_only: x"))
    result = runner.invoke(args=["curriculum", "load", "--path", str(root)])
    assert result.exit_code != 0 and "a choice needs 'text'" in result.output
    assert count(Lesson) == 0


# --- "Try this week": the practice field ---------------------------------------------------------

WITH_PRACTICE = NEW_FORMAT.replace(
    "order: 2\n", "order: 2\npractice:\n  text: Take a walk on your own.\n  followup: old-format\n"
)


def test_the_practice_loads_and_files_without_one_still_load(app, tmp_path):
    root = small_content(tmp_path, WITH_PRACTICE)
    assert load_curriculum(root) == {"modules created": 1, "lessons created": 2}
    new = db.session.scalar(sa.select(Lesson).filter_by(slug="new-format"))
    assert (new.practice_text, new.practice_followup) == ("Take a walk on your own.", "old-format")
    old = db.session.scalar(sa.select(Lesson).filter_by(slug="old-format"))
    assert (old.practice_text, old.practice_followup) == ("", "")
    assert load_curriculum(root) == {"modules unchanged": 1, "lessons unchanged": 2}
    # a changed practice updates the lesson; a plain string is the text alone
    (root / "01-m" / "02-new.md").write_text(NEW_FORMAT.replace("order: 2\n", 'order: 2\npractice: "Rest."\n'))
    assert load_curriculum(root)["lessons updated"] == 1
    db.session.expire_all()
    assert (new.practice_text, new.practice_followup) == ("Rest.", "")


def test_the_practice_is_not_part_of_the_fingerprint(tmp_path):
    """Translations name the fingerprint of the English text (translation_of): adding a practice
    to a lesson must not make its translation out of date. The loader compares it on its own."""
    from portal.lessons.content import read_lesson

    root = small_content(tmp_path)
    before = read_lesson(root / "01-m" / "02-new.md").fingerprint
    (root / "01-m" / "02-new.md").write_text(WITH_PRACTICE)
    assert read_lesson(root / "01-m" / "02-new.md").fingerprint == before


def test_the_real_curriculum_kept_its_fingerprints():
    """The English fingerprints the Spanish files were written against (translation_of) still match."""
    import frontmatter

    from portal.lessons.content import CONTENT_DIR

    checked = 0
    for module in SOURCES:
        for lesson in module.lessons:
            translated = CONTENT_DIR / "es" / module.path.name / lesson.path.name
            if translated.is_file():
                named = frontmatter.load(translated).metadata.get("translation_of")
                checked += named == lesson.fingerprint
    assert checked >= 30


@pytest.mark.parametrize(
    ("practice", "message"),
    [
        ("practice:\n  followup: old-format\n", "a practice needs 'text'"),
        ("practice:\n  text: Walk.\n  followup: Not A Slug!\n", "is not a lesson slug"),
        ("practice:\n  text: Walk.\n  followup: no-such-lesson\n", "is not another lesson"),
        ("practice:\n  text: Walk.\n  followup: new-format\n", "is not another lesson"),
        ("practice:\n  - a list\n", "'practice' is a text or a mapping"),
        (f"practice: {'x' * 501}\n", "at most 500 characters"),
    ],
)
def test_a_bad_practice_is_a_clear_cli_error(app, runner, tmp_path, practice, message):
    root = small_content(tmp_path, NEW_FORMAT.replace("order: 2\n", "order: 2\n" + practice))
    result = runner.invoke(args=["curriculum", "load", "--path", str(root)])
    assert result.exit_code != 0 and message in result.output, result.output
    assert count(Lesson) == 0
