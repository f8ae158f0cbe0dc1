"""`flask curriculum load`: upsert by slug, idempotent, progress kept, portal edits kept."""

import shutil

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons import authoring, services
from portal.lessons.loader import load_curriculum
from portal.lessons.models import Lesson, LessonProgress, LessonRevision, Module, Question, QuizAnswer
from tests.factories import make_user


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def copy_content(tmp_path):
    from portal.lessons.content import CONTENT_DIR

    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def test_load_creates_every_module_and_lesson(app):
    report = load_curriculum()
    assert report["modules created"] == 9
    assert report["lessons created"] == 36
    assert count(Module) == 9 and count(Lesson) == 36
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
    assert report == {"modules unchanged": 9, "lessons unchanged": 36}
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
    assert report["lessons updated"] == 1 and report["lessons unchanged"] == 35
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
    services.answer_question(user, lesson, lesson.questions[0].id, 1)
    path = root / "06-relapse-and-safety" / "01-understanding-relapse.md"
    path.write_text(path.read_text().replace("How does research describe", "How do studies describe"))
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
    assert "lessons created: 36" in result.output
    result = runner.invoke(args=["curriculum", "load"])
    assert "lessons unchanged: 36" in result.output


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
    assert count(Lesson) == 36 and count(Module) == 9
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert count(Lesson) == 36


def test_stats_command_reports_lessons_words_and_grade(app, runner):
    result = runner.invoke(args=["curriculum", "stats"])
    assert result.exit_code == 0, result.output
    assert "lessons: 36" in result.output
    assert "median Flesch-Kincaid grade:" in result.output


def test_a_module_edited_in_the_portal_is_kept_too(app):
    load_curriculum()
    module = db.session.scalar(sa.select(Module).filter_by(slug="rebuilding-trust"))
    authoring.save_module(
        module, title="Trust, step by step", slug=module.slug, summary="s", intro="i", status="published"
    )
    report = load_curriculum()
    assert report["modules kept portal edits"] == 1 and report["modules unchanged"] == 8
    assert db.session.get(Module, module.id).title == "Trust, step by step"
    assert load_curriculum(force=True)["modules updated"] == 1
    assert db.session.get(Module, module.id).title == "Rebuilding trust"
