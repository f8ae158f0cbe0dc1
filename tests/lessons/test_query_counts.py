"""The catalogue, module and lesson pages cost a fixed number of SQL statements, however much data."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from portal.extensions import db
from portal.lessons import practice, services
from portal.lessons.models import LessonProgress, Outcome
from tests.factories import make_user
from tests.lessons.conftest import make_module
from tests.statements import counting
from tests.statements import statements_of_get as statements_of

# The lesson page: the session (1), the lesson with its module, the reader's progress,
# reflection and open practice commitment and the previous/next lessons (1), the questions with
# the reader's answers (1).
LESSON_PAGE_STATEMENTS = 3


def cost(client, path):
    return len(statements_of(client, path))


def writes(statements):
    return [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def grow(learner, start, modules, lessons):
    created = [make_module(f"m{start + n}", position=start + n, lessons=lessons, questions=2) for n in range(modules)]
    for module in created:
        for lesson in module.lessons[: lessons // 2]:
            services.complete_lesson(learner, lesson)
            services.answer_question(learner, lesson, lesson.questions[0].id, 0)
    return created


def test_catalogue_and_module_pages_do_not_grow_with_rows(app, learner, client):
    first = grow(learner, 0, modules=2, lessons=2)[0]
    small = {path: cost(client, path) for path in ("/lessons/", f"/lessons/modules/{first.slug}", "/dashboard")}
    grow(learner, 10, modules=6, lessons=8)
    db.session.execute(sa.update(type(first)).where(type(first).id == first.id).values(position=0))
    db.session.commit()
    make_module("m0-extra", position=1, lessons=12)  # a bigger module to compare the module page with
    for lesson in services.module_lessons(services.find_published_module("m0-extra"))[:6]:
        services.complete_lesson(learner, lesson)
    large = {path: cost(client, path) for path in ("/lessons/", "/lessons/modules/m0-extra", "/dashboard")}
    assert all(n > 0 for n in small.values())
    assert list(small.values()) == list(large.values()), (small, large)


def test_lesson_page_does_not_grow_with_questions_or_answers(app, learner, client):
    small = make_module("small", lessons=2, questions=1).lessons[0]
    big = make_module("big", position=2, lessons=10, questions=4).lessons[3]
    for question in big.questions:
        services.answer_question(learner, big, question.id, 1)
    services.save_reflection(learner, big, "note")
    services.complete_lesson(learner, big)
    small_cost = cost(client, f"/lessons/read/{small.slug}")
    assert small_cost == cost(client, f"/lessons/read/{big.slug}")
    assert small_cost <= LESSON_PAGE_STATEMENTS


def test_a_practice_and_an_open_commitment_cost_the_lesson_page_no_statement(app, learner, client):
    plain, tried, open_one = make_module("practice", lessons=3).lessons
    tried.practice_text = open_one.practice_text = "Take a walk."
    db.session.commit()
    practice.record_outcome(learner, practice.commit(learner, tried), Outcome.TRIED)
    practice.commit(learner, open_one)
    costs = [cost(client, f"/lessons/read/{lesson.slug}") for lesson in (plain, tried, open_one)]
    assert costs == [costs[0]] * 3 and costs[0] <= LESSON_PAGE_STATEMENTS
    page = client.get(f"/lessons/read/{open_one.slug}").get_data(as_text=True)
    assert "You chose to try this" in page
    assert "You chose to try this" not in client.get(f"/lessons/read/{tried.slug}").get_data(as_text=True)


def test_the_shared_lesson_page_statements_read_each_readers_own_rows(app, learner):
    other = make_user("other-reader@example.org")
    first, second = make_module("shared", lessons=2).lessons
    first.practice_text = "Take a walk."
    db.session.commit()
    services.save_reflection(learner, first, "mine")
    services.answer_question(learner, first, first.questions[0].id, 0)
    practice.commit(learner, first)
    services.complete_lesson(other, first)
    mine, theirs = services.lesson_page(learner, first.slug), services.lesson_page(other, first.slug)
    assert mine.reflection.body == "mine" and mine.commitment is not None and mine.progress is None
    assert theirs.reflection is None and theirs.commitment is None and theirs.progress.completed_at
    assert (mine.following.slug, services.lesson_page(learner, second.slug).previous.slug) == (second.slug, first.slug)
    answers = [answer for _question, answer in services.questions_with_answers(learner, first)]
    assert [answer for _question, answer in services.questions_with_answers(other, first)] == [None]
    assert answers[0] is not None
    with counting() as statements:
        services.lesson_page(other, second.slug)
    assert len(statements) == 1


def test_lesson_page_statements_do_not_grow_with_the_curriculum(app, learner, client):
    lesson = make_module("first", lessons=3).lessons[1]
    few = cost(client, f"/lessons/read/{lesson.slug}")
    for n in range(8):
        make_module(f"more{n}", position=2 + n, lessons=6, questions=2)
    assert cost(client, f"/lessons/read/{lesson.slug}") == few <= LESSON_PAGE_STATEMENTS


def test_rereading_a_lesson_writes_last_seen_at_most_once_a_minute(app, learner, client):
    lesson = make_module("again", lessons=1).lessons[0]
    path = f"/lessons/read/{lesson.slug}"
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)  # the session stays live
    with time_machine.travel(start, tick=False) as traveller:
        with counting() as first:
            assert client.get(path).status_code == 200
        assert len(writes(first)) == 1  # progress starts on the first visit
        traveller.shift(timedelta(seconds=30))
        with counting() as soon:
            assert client.get(path).status_code == 200
        assert writes(soon) == []
        progress = db.session.scalar(sa.select(LessonProgress).filter_by(user_id=learner.id, lesson_id=lesson.id))
        assert progress.last_seen_at == start and progress.started_at == start
        traveller.shift(timedelta(seconds=31))
        with counting() as later:
            assert client.get(path).status_code == 200
        assert [s for s in writes(later) if "lesson_progress" in s]
        db.session.expire_all()
        progress = db.session.get(LessonProgress, progress.id)
        assert progress.last_seen_at == start + timedelta(seconds=61) and progress.started_at == start
