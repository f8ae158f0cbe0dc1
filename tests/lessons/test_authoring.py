"""Authoring: permissions, hostile input, preview, drafts, reorder, history/diff/restore, questions."""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.lessons.models import Lesson, LessonRevision, Module, Question, QuizAnswer
from portal.security import Role
from tests.factories import make_user
from tests.lessons.conftest import make_module

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg/onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<div style="background:url(javascript:alert(1))">y</div>',
    "![img](https://evil.example/x.png)",
    '"><script>alert(1)</script>',
    "<<script>script>alert(1)<</script>/script>",
]
DANGEROUS_TAGS = {"script", "img", "svg", "iframe", "object", "embed", "style", "form", "base", "meta", "link"}


class ActiveContent(HTMLParser):
    """Finds live markup (tags, event handlers, script URLs); escaped text is harmless and ignored."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS - {"form"}:
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag}[{name}]")
            if name in {"href", "src", "action"} and re.match(r"\s*(javascript|data|vbscript):", value or "", re.I):
                self.found.append(f"{tag}[{name}={value}]")


def active_content(html):
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


@pytest.fixture
def author(app, auth):
    user = make_user(roles=(Role.COUNSELOR,), display_name="Casey")
    auth.login(user.email)
    return user


def lesson_data(module, **overrides):
    data = {
        "module_id": module.id,
        "title": "A new lesson",
        "slug": "a-new-lesson",
        "summary": "Short.",
        "minutes": "6",
        "reflection_prompt": "What stood out?",
        "body": "## Hello\n\nSome **text**.",
        "status": "published",
    }
    data.update(overrides)
    return data


def test_the_detector_detects():
    assert active_content('<p><img src=x onerror="y"></p><a href="javascript:x">a</a>') == [
        "img",
        "img[onerror]",
        "a[href=javascript:x]",
    ]
    assert active_content("<p>&lt;img src=x onerror=y&gt;</p>") == []


def test_family_members_cannot_author(app, client, auth):
    module = make_module("locked")
    auth.login(make_user().email)
    assert client.get("/lessons/author").status_code == 403
    assert client.get(f"/lessons/author/lessons/{module.lessons[0].id}").status_code == 403
    assert auth.post("/lessons/author/preview", {"body": "x"}).status_code == 403
    assert auth.post("/lessons/author/lessons/new", lesson_data(module)).status_code == 403
    assert auth.post(f"/lessons/author/lessons/{module.lessons[0].id}/move", {"direction": "up"}).status_code == 403
    assert db.session.scalar(sa.select(Lesson).filter_by(slug="a-new-lesson")) is None


def test_create_a_module_and_a_lesson(app, client, auth, author):
    response = auth.post(
        "/lessons/author/modules/new",
        {"title": "New module", "slug": "new-module", "summary": "S", "intro": "Hi", "status": "draft"},
    )
    assert response.status_code == 302
    module = db.session.scalar(sa.select(Module).filter_by(slug="new-module"))
    assert module.status == "draft" and module.edited_in_portal
    response = auth.post("/lessons/author/lessons/new", lesson_data(module))
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="a-new-lesson"))
    assert response.status_code == 302 and lesson.module_id == module.id
    assert lesson.body_html.startswith("<h2>Hello</h2>") and lesson.minutes == 6
    assert lesson.edited_in_portal
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonRevision)) == 1
    # the module is a draft, so families do not see the lesson yet
    auth.logout()
    auth.login(make_user().email)
    assert client.get("/lessons/read/a-new-lesson").status_code == 404


def test_hostile_markdown_in_every_field_never_reaches_a_page(app, client, auth, author):
    module = make_module("host")
    for n, payload in enumerate(HOSTILE):
        data = lesson_data(
            module,
            slug=f"hostile-{n}",
            title=payload,
            summary=payload,
            reflection_prompt=payload,
            body=f"{payload}\n\n{payload}",
        )
        assert auth.post("/lessons/author/lessons/new", data).status_code == 302, payload
        lesson = db.session.scalar(sa.select(Lesson).filter_by(slug=f"hostile-{n}"))
        assert not active_content(lesson.body_html), lesson.body_html
        assert (
            auth.post(
                f"/lessons/author/lessons/{lesson.id}/questions",
                {"prompt": payload, "choices": f"{payload}\nfine", "answer": "2", "explanation": payload},
            ).status_code
            == 302
        )
        for path in (
            f"/lessons/read/{lesson.slug}",
            f"/lessons/author/lessons/{lesson.id}",
            "/lessons/author",
            f"/lessons/author/lessons/{lesson.id}/questions",
            f"/lessons/author/lessons/{lesson.id}/history",
            "/lessons/search?q=alert",
        ):
            page = client.get(path).get_data(as_text=True)
            body = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
            assert not active_content(body), (payload, path, active_content(body))
    preview = auth.post("/lessons/author/preview", {"body": "\n".join(HOSTILE)})
    assert not active_content(preview.json["html"])


def test_preview_returns_sanitized_html_and_needs_csrf(app, client, auth, author):
    token = auth.csrf("/lessons/author")
    response = client.post(
        "/lessons/author/preview", json={"body": "**hi** <script>x</script>"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200 and response.json["ok"]
    assert "<strong>hi</strong>" in response.json["html"] and "<script" not in response.json["html"]
    assert client.post("/lessons/author/preview", json={"body": "x"}).status_code == 400  # no token
    bad = client.post("/lessons/author/preview", json=["not", "an", "object"], headers={"X-CSRFToken": token})
    assert bad.status_code == 400
    big = client.post("/lessons/author/preview", json={"body": "x" * 60_000}, headers={"X-CSRFToken": token})
    assert big.status_code == 400 and big.json["ok"] is False


def test_huge_and_invalid_input_are_field_errors(app, client, auth, author):
    module = make_module("limits")
    response = auth.post("/lessons/author/lessons/new", lesson_data(module, body="x" * 1_000_000))
    assert response.status_code in (422, 413)
    if response.status_code == 422:
        assert "under 50,000 characters" in response.get_data(as_text=True)
    response = auth.post("/lessons/author/lessons/new", lesson_data(module, body="x" * 50_001))
    assert response.status_code == 422 and "under 50,000 characters" in response.get_data(as_text=True)
    for bad in (
        {"slug": "Not A Slug"},
        {"slug": "x" * 81},
        {"minutes": "-3"},
        {"minutes": "lots"},
        {"module_id": "999999"},
        {"status": "live"},
        {"title": ""},
        {"title": "t" * 201},
    ):
        response = auth.post("/lessons/author/lessons/new", lesson_data(module, **bad))
        assert response.status_code == 422, bad
        assert 'class="error"' in response.get_data(as_text=True), bad
    taken = auth.post("/lessons/author/lessons/new", lesson_data(module, slug=module.lessons[0].slug))
    assert taken.status_code == 422 and "already uses" in taken.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lesson)) == 2


def test_reorder_lessons_and_modules(app, client, auth, author):
    first = make_module("one", position=1, lessons=3)
    second = make_module("two", position=2)
    ids = [lesson.id for lesson in first.lessons]
    auth.post(f"/lessons/author/lessons/{ids[2]}/move", {"direction": "up"})
    db.session.expire_all()
    order = db.session.scalars(sa.select(Lesson.id).where(Lesson.module_id == first.id).order_by(Lesson.position))
    assert list(order) == [ids[0], ids[2], ids[1]]
    auth.post(f"/lessons/author/modules/{second.id}/move", {"direction": "up"})
    assert list(db.session.scalars(sa.select(Module.slug).order_by(Module.position))) == ["two", "one"]
    assert auth.post(f"/lessons/author/modules/{second.id}/move", {"direction": "sideways"}).status_code == 400
    assert auth.post("/lessons/author/modules/999999/move", {"direction": "up"}).status_code == 404


def test_history_diff_and_restore(app, client, auth, author):
    module = make_module("hist")
    lesson = module.lessons[0]
    auth.post(f"/lessons/author/lessons/{lesson.id}", lesson_data(module, slug=lesson.slug, body="Line one\nOld line"))
    auth.post(f"/lessons/author/lessons/{lesson.id}", lesson_data(module, slug=lesson.slug, body="Line one\nNew line"))
    revisions = db.session.scalars(
        sa.select(LessonRevision).filter_by(lesson_id=lesson.id).order_by(LessonRevision.id)
    ).all()
    assert len(revisions) == 2
    page = client.get(f"/lessons/author/lessons/{lesson.id}/history").get_data(as_text=True)
    assert f"revision {revisions[0].id}" in page and "Casey" in page
    diff = client.get(f"/lessons/author/lessons/{lesson.id}/revisions/{revisions[0].id}").get_data(as_text=True)
    assert '<span class="diff-del">-Old line</span>' in diff and '<span class="diff-add">+New line</span>' in diff
    auth.post(f"/lessons/author/lessons/{lesson.id}/revisions/{revisions[0].id}/restore")
    db.session.expire_all()
    assert db.session.get(Lesson, lesson.id).body_md == "Line one\nOld line"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LessonRevision)) == 3
    other = make_module("other").lessons[0]
    assert client.get(f"/lessons/author/lessons/{other.id}/revisions/{revisions[0].id}").status_code == 404


def test_knowledge_check_editor(app, client, auth, author):
    lesson = make_module("qs", questions=1).lessons[0]
    learner = make_user()
    from portal.lessons import services

    services.answer_question(learner, lesson, lesson.questions[0].id, 0)
    url = f"/lessons/author/lessons/{lesson.id}/questions"
    assert (
        auth.post(url, {"prompt": "New?", "choices": "A\nB\n\nC", "answer": "3", "explanation": "C it is"}).status_code
        == 302
    )
    question = db.session.scalar(sa.select(Question).filter_by(prompt="New?"))
    assert question.choices == ["A", "B", "C"] and question.answer == 2 and question.position == 1
    for bad in (
        {"answer": "4"},
        {"answer": "0"},
        {"choices": "only one"},
        {"choices": "\n".join("abcdefg")},
        {"prompt": ""},
        {"answer": "two"},
    ):
        data = {"prompt": "Q?", "choices": "A\nB", "answer": "1", "explanation": ""} | bad
        response = auth.post(url, data)
        assert response.status_code == 422, bad
    first = lesson.questions[0]
    auth.post(f"{url}/{first.id}", {"prompt": "Changed?", "choices": "Yes\nNo", "answer": "2", "explanation": "e"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizAnswer)) == 0  # old answers dropped
    auth.post(f"{url}/{question.id}/delete")
    assert db.session.get(Question, question.id) is None
    other = make_module("elsewhere").lessons[0]
    assert auth.post(f"/lessons/author/lessons/{other.id}/questions/{first.id}/delete").status_code == 404
    assert client.get(f"/lessons/author/lessons/{other.id}/questions/{first.id}").status_code == 404


def test_edit_pages_render(app, client, auth, author):
    module = make_module("render")
    lesson = module.lessons[0]
    for path in (
        "/lessons/author",
        "/lessons/author/modules/new",
        f"/lessons/author/modules/{module.id}",
        "/lessons/author/lessons/new",
        f"/lessons/author/lessons/{lesson.id}",
        f"/lessons/author/lessons/new?module={module.id}",
        f"/lessons/author/lessons/{lesson.id}/questions",
    ):
        assert client.get(path).status_code == 200, path
    for path in (
        "/lessons/author/lessons/999999",
        "/lessons/author/modules/999999",
        "/lessons/author/lessons/999999/history",
    ):
        assert client.get(path).status_code == 404, path


def test_hostile_module_fields_are_sanitized(app, client, auth, author):
    for n, payload in enumerate(HOSTILE):
        response = auth.post(
            "/lessons/author/modules/new",
            {"title": payload, "slug": f"evil-{n}", "summary": payload, "intro": payload, "status": "published"},
        )
        assert response.status_code == 302, payload
        module = db.session.scalar(sa.select(Module).filter_by(slug=f"evil-{n}"))
        assert not active_content(module.intro_html)
    make_module("evil-lessons")  # gives the module pages something to show
    for path in ("/lessons/author", "/lessons/", "/lessons/modules/evil-0", "/lessons/modules/evil-lessons"):
        page = client.get(path).get_data(as_text=True)
        main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
        assert not active_content(main), path


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, "{" * 100_000, '{"body": "x"'])
def test_preview_of_unreadable_json_is_a_json_400(app, client, auth, author, body):
    token = auth.csrf("/lessons/author")
    response = client.post(
        "/lessons/author/preview", data=body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": 400, "message": "The request body is not a valid JSON object."}


def test_each_choice_gets_its_own_feedback_in_the_editor(app, client, auth, author):
    lesson = make_module("fb", questions=0).lessons[0]
    url = f"/lessons/author/lessons/{lesson.id}/questions"
    data = {"prompt": "Q?", "choices": "A\nB\nC", "answer": "2", "explanation": "General"}
    feedback = {"feedback_1": "A is tempting", "feedback_2": "B is right", "feedback_3": HOSTILE[0]}
    assert auth.post(url, data | feedback).status_code == 302
    question = db.session.scalar(sa.select(Question).filter_by(prompt="Q?"))
    assert question.feedback == ["A is tempting", "B is right", HOSTILE[0]]
    page = client.get(f"{url}/{question.id}").get_data(as_text=True)
    assert re.search(r'for="feedback_2".*name="feedback_2">\s*B is right</textarea>', page, re.S)
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert not active_content(main)
    # Feedback for an answer that does not exist is a field error, not silently dropped.
    response = auth.post(url, data | {"feedback_5": "for a fifth answer"})
    assert response.status_code == 422
    assert "There is no answer with this number" in response.get_data(as_text=True)
    assert auth.post(url, data | {"feedback_1": "x" * 1001}).status_code == 422
    # Clearing every feedback box leaves the question with only its general explanation.
    auth.post(f"{url}/{question.id}", data)
    db.session.expire_all()
    assert db.session.get(Question, question.id).feedback is None


def test_the_lesson_editor_sets_the_practice_and_checks_its_followup(app, client, auth, author):
    module = make_module("practice")
    practice = {"practice_text": "Take a  walk\non your own.", "practice_followup": module.lessons[0].slug}
    assert auth.post("/lessons/author/lessons/new", lesson_data(module, **practice)).status_code == 302
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="a-new-lesson"))
    assert (lesson.practice_text, lesson.practice_followup) == ("Take a walk on your own.", module.lessons[0].slug)
    page = client.get(f"/lessons/author/lessons/{lesson.id}").get_data(as_text=True)
    assert "Take a walk on your own." in page and "Try this week (practice)" in page
    for bad, message in (
        ({"practice_followup": "no-such-lesson"}, "Please name another lesson"),
        ({"practice_followup": "a-new-lesson"}, "Please name another lesson"),
        ({"practice_followup": "Bad Slug!"}, "Use lowercase letters"),
        ({"practice_text": "", "practice_followup": module.lessons[0].slug}, "Please write the practice"),
        ({"practice_text": "x" * 501}, "500"),
    ):
        response = auth.post(f"/lessons/author/lessons/{lesson.id}", lesson_data(module, **{**practice, **bad}))
        assert response.status_code == 422 and message in response.get_data(as_text=True), bad
    db.session.refresh(lesson)
    assert lesson.practice_text == "Take a walk on your own."
