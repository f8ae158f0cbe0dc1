"""Family member pages: catalogue, module, lesson, knowledge check, completion, dashboard."""

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons.models import Certificate, LessonProgress, Module, QuizAnswer, Status
from portal.security import Role
from tests.factories import make_user
from tests.lessons.conftest import make_module


def lesson_of(module, n=0):
    return module.lessons[n]


def test_catalogue_shows_modules_with_accessible_progress(curriculum, learner, client, auth):
    page = client.get("/lessons/").get_data(as_text=True)
    assert page.count('<li class="module-card">') == len(curriculum) == 13
    assert '<progress id="progress-understanding-iop" max="4" value="0"' in page
    assert "0 of 4 lessons complete" in page
    auth.post("/lessons/read/what-an-iop-is/complete")
    page = client.get("/lessons/").get_data(as_text=True)
    assert '<progress id="progress-understanding-iop" max="4" value="1"' in page
    assert "1 of 4 lessons complete" in page


def test_module_page_lists_lessons_with_their_state(app, learner, client, auth):
    module = make_module("trust", lessons=3)
    client.get(f"/lessons/read/{lesson_of(module, 1).slug}")
    auth.post(f"/lessons/read/{lesson_of(module, 0).slug}/complete")
    page = client.get("/lessons/modules/trust").get_data(as_text=True)
    assert page.index("state-complete") < page.index("state-in_progress") < page.index("state-not_started")
    assert "Completed" in page and "In progress" in page and "Not started" in page


def test_lesson_page_has_minutes_body_questions_and_neighbours(app, learner, client):
    first = make_module("alpha", position=1)
    second = make_module("beta", position=2)
    page = client.get(f"/lessons/read/{lesson_of(first, 1).slug}").get_data(as_text=True)
    assert "About 5 minutes to read" in page
    assert "<h2>Part 2</h2>" in page
    assert 'name="choice"' in page and "Question 1?" in page
    assert f'rel="prev" href="/lessons/read/{lesson_of(first, 0).slug}"' in page
    assert f'rel="next" href="/lessons/read/{lesson_of(second, 0).slug}"' in page  # across modules
    progress = db.session.scalar(sa.select(LessonProgress).filter_by(user_id=learner.id))
    assert progress.lesson_id == lesson_of(first, 1).id and progress.completed_at is None


def test_unknown_and_unpublished_slugs_are_404(app, learner, client):
    module = make_module("open")
    draft_lesson = lesson_of(module, 1)
    draft_lesson.status = Status.DRAFT.value
    hidden = make_module("hidden", status=Status.DRAFT, position=2)
    db.session.commit()
    assert client.get("/lessons/read/no-such-lesson").status_code == 404
    assert client.get(f"/lessons/read/{draft_lesson.slug}").status_code == 404
    assert client.get(f"/lessons/read/{lesson_of(hidden).slug}").status_code == 404
    assert client.get("/lessons/modules/hidden").status_code == 404
    assert client.get("/lessons/modules/" + "x" * 300).status_code == 404
    assert client.get("/lessons/read/%3Cscript%3E").status_code == 404
    page = client.get("/lessons/").get_data(as_text=True)
    visible = re.sub(r"<[^>]*>", " ", page).lower()
    assert "hidden" not in visible  # no link to the draft module
    assert "/lessons/modules/hidden" not in page


def test_answering_gives_feedback_with_explanation_without_js(app, learner, client, auth):
    lesson = lesson_of(make_module("quiz"))
    question = lesson.questions[0]
    response = auth.post(f"/lessons/read/{lesson.slug}/answer", {"question_id": question.id, "choice": 1})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#question-{question.id}")
    page = client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True)
    assert "Not quite. The answer is: Yes" in page and "Because yes." in page
    auth.post(f"/lessons/read/{lesson.slug}/answer", {"question_id": question.id, "choice": 0})
    page = client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True)
    assert "That's right." in page
    answers = db.session.scalars(sa.select(QuizAnswer)).all()
    assert len(answers) == 1 and answers[0].correct and answers[0].choice == 0


def test_answer_as_json_for_the_enhanced_form(app, learner, client, auth):
    lesson = lesson_of(make_module("json"))
    question = lesson.questions[0]
    response = auth.post(
        f"/lessons/read/{lesson.slug}/answer",
        {"question_id": question.id, "choice": 0},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json["ok"] and response.json["correct"] and "Because yes." in response.json["html"]


def test_bad_answers_are_clear_errors_not_500(app, learner, client, auth):
    module = make_module("bad")
    lesson, other = lesson_of(module, 0), lesson_of(module, 1)
    cases = [
        {"question_id": other.questions[0].id, "choice": 0},  # question of another lesson
        {"question_id": 999999, "choice": 0},
        {"question_id": lesson.questions[0].id, "choice": 7},
        {"question_id": lesson.questions[0].id, "choice": -1},
        {"question_id": "abc", "choice": "x"},
        {"question_id": lesson.questions[0].id},
        {"question_id": "1 OR 1=1", "choice": "0; DROP TABLE lessons"},
    ]
    for data in cases:
        response = auth.post(f"/lessons/read/{lesson.slug}/answer", data)
        assert response.status_code == 302, data
        json = auth.post(f"/lessons/read/{lesson.slug}/answer", data, headers={"Accept": "application/json"})
        assert json.status_code == 400 and json.json["ok"] is False, data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizAnswer)) == 0
    page = auth.post(f"/lessons/read/{lesson.slug}/answer", cases[0], follow_redirects=True).get_data(as_text=True)
    assert "That question is not part of this lesson." in page


def test_post_without_csrf_is_refused(app, learner, client):
    lesson = lesson_of(make_module("csrf"))
    response = client.post(f"/lessons/read/{lesson.slug}/complete")
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 0


def test_double_completion_is_idempotent_and_issues_one_certificate(app, learner, client, auth):
    module = make_module("twice", lessons=2)
    first, second = lesson_of(module, 0), lesson_of(module, 1)
    for _ in range(2):
        assert auth.post(f"/lessons/read/{first.slug}/complete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0
    response = auth.post(f"/lessons/read/{second.slug}/complete")
    certificate = db.session.scalar(sa.select(Certificate))
    assert response.headers["Location"].endswith(f"/lessons/certificates/{certificate.code}")
    auth.post(f"/lessons/read/{second.slug}/complete")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress)) == 2
    assert certificate.recipient_name == "Jordan" and certificate.module_title == "Twice"


def test_dashboard_panel_continues_where_you_left_off(app, learner, client, auth):
    module = make_module("dash", lessons=3)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Continue learning" in page and f"/lessons/read/{lesson_of(module, 0).slug}" in page
    client.get(f"/lessons/read/{lesson_of(module, 2).slug}")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Pick up where you left off." in page and f"/lessons/read/{lesson_of(module, 2).slug}" in page
    for lesson in module.lessons:
        auth.post(f"/lessons/read/{lesson.slug}/complete")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "You have completed every lesson" in page


def test_permissions(app, client, auth):
    make_module("perm")
    assert client.get("/lessons/").status_code == 302  # anonymous → login
    moderator = make_user(roles=(Role.MODERATOR,))
    auth.login(moderator.email)
    assert client.get("/lessons/").status_code == 403
    assert client.get("/lessons/read/perm-lesson-1").status_code == 403
    assert auth.post("/lessons/read/perm-lesson-1/complete").status_code == 403
    assert "Continue learning" not in client.get("/dashboard").get_data(as_text=True)


def test_counselors_can_learn_too(app, client, auth):
    make_module("staff")
    auth.login(make_user(roles=(Role.COUNSELOR,)).email)
    page = client.get("/lessons/").get_data(as_text=True)
    assert "Edit lessons" in page and "Sharing your progress" not in page
    assert db.session.scalar(sa.select(Module).filter_by(slug="staff")) is not None


def with_choice_feedback(lesson):
    question = lesson.questions[0]
    question.feedback = ["Yes is right: it fits.", "No is tempting, but it misses the point.", ""]
    db.session.commit()
    return question


def test_a_wrong_answer_shows_that_options_own_feedback(app, learner, client, auth):
    lesson = lesson_of(make_module("feedback"))
    question = with_choice_feedback(lesson)
    auth.post(f"/lessons/read/{lesson.slug}/answer", {"question_id": question.id, "choice": 1})
    page = client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True)
    assert "Not quite. The answer is: Yes" in page
    assert "No is tempting, but it misses the point." in page
    assert "Yes is right: it fits." not in page and "Because yes." not in page
    json = auth.post(
        f"/lessons/read/{lesson.slug}/answer",
        {"question_id": question.id, "choice": 0},
        headers={"Accept": "application/json"},
    ).json
    assert json["correct"] and "Yes is right: it fits." in json["html"] and "misses the point" not in json["html"]
    # A choice without its own feedback falls back to the question's general explanation.
    json = auth.post(
        f"/lessons/read/{lesson.slug}/answer",
        {"question_id": question.id, "choice": 2},
        headers={"Accept": "application/json"},
    ).json
    assert not json["correct"] and "Because yes." in json["html"]
