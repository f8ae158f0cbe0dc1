"""Reflections are private to their author: not other families, not counselors, not admins."""

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons.models import Reflection
from portal.security import Role
from tests.factories import make_user
from tests.lessons.conftest import make_module

SECRET = "I am scared about Tuesday"


def write(auth, slug, text):
    return auth.post(f"/lessons/read/{slug}/reflection", {"body": text})


def test_save_edit_and_delete(app, learner, client, auth):
    lesson = make_module("refl").lessons[0]
    assert write(auth, lesson.slug, "First thoughts").status_code == 302
    assert write(auth, lesson.slug, "Second thoughts").status_code == 302
    rows = db.session.scalars(sa.select(Reflection)).all()
    assert len(rows) == 1 and rows[0].body == "Second thoughts" and rows[0].user_id == learner.id
    page = client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True)
    assert "Second thoughts" in page and "Delete this reflection" in page
    assert auth.post(f"/lessons/read/{lesson.slug}/reflection/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reflection)) == 0
    assert auth.post(f"/lessons/read/{lesson.slug}/reflection/delete").status_code == 302  # twice is fine


def test_hostile_text_is_sanitized_and_limits_are_field_errors(app, learner, client, auth):
    lesson = make_module("hostile").lessons[0]
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3)) **ok**"
    write(auth, lesson.slug, payload)
    row = db.session.scalar(sa.select(Reflection))
    assert row.body == payload
    assert "<script" not in row.body_html and "<img" not in row.body_html and "href" not in row.body_html
    page = client.get("/lessons/reflections").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<strong>ok</strong>" in page
    too_long = write(auth, lesson.slug, "x" * 10_001)
    assert too_long.status_code == 422 and "under 10,000 characters" in too_long.get_data(as_text=True)
    empty = write(auth, lesson.slug, "   ")
    assert empty.status_code == 422
    huge = write(auth, lesson.slug, "y" * 1_000_000)
    assert huge.status_code in (422, 413)
    assert db.session.scalar(sa.select(Reflection)).body == payload


def test_nobody_else_can_read_a_reflection(app, client, auth):
    lesson = make_module("private").lessons[0]
    author = make_user(display_name="Author")
    auth.login(author.email)
    write(auth, lesson.slug, SECRET)
    auth.logout()
    others = [
        make_user(display_name="Other family"),
        make_user(roles=(Role.COUNSELOR,)),
        make_user(roles=(Role.ADMIN,)),
        make_user(roles=(Role.COUNSELOR, Role.MODERATOR, Role.ADMIN)),
    ]
    for other in others:
        auth.login(other.email)
        for path in (
            f"/lessons/read/{lesson.slug}",
            "/lessons/reflections",
            "/lessons/reflections/export.md",
            "/lessons/author",
            f"/lessons/author/lessons/{lesson.id}",
            "/dashboard",
        ):
            response = client.get(path)
            assert SECRET not in response.get_data(as_text=True), (other, path)
        pdf = client.get("/lessons/reflections/export.pdf")
        assert SECRET.encode() not in pdf.data
        # deleting "their" reflection only ever touches their own rows
        auth.post(f"/lessons/read/{lesson.slug}/reflection/delete")
        auth.logout()
    assert db.session.scalar(sa.select(Reflection)).body == SECRET


def test_export_markdown_and_pdf_contain_only_own_reflections(app, learner, client, auth):
    module = make_module("export", lessons=2)
    write(auth, module.lessons[0].slug, "Mine: “curly quotes” — and a dash, ünïcödé ✓")
    other = make_user()
    db.session.add(Reflection(user_id=other.id, lesson_id=module.lessons[1].id, body="NOT MINE", body_html="x"))
    db.session.commit()
    markdown = client.get("/lessons/reflections/export.md")
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    assert "attachment" in markdown.headers["Content-Disposition"]
    text = markdown.get_data(as_text=True)
    assert "Mine: “curly quotes”" in text and "NOT MINE" not in text and "### export lesson 1" in text
    pdf = client.get("/lessons/reflections/export.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_pdf_export_copes_with_long_unbroken_text(app, learner, client, auth):
    lesson = make_module("long").lessons[0]
    write(auth, lesson.slug, "a" * 9_000 + " 日本語 " + "\u202e" * 5)
    pdf = client.get("/lessons/reflections/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_pdf_export_without_unicode_fonts_falls_back_to_latin1(app, learner, client, auth, monkeypatch, tmp_path):
    from portal import pdf as shared_pdf

    monkeypatch.setattr(shared_pdf, "FONT_DIR", tmp_path)
    lesson = make_module("fallback").lessons[0]
    write(auth, lesson.slug, "Quotes “like these” — señora, ✓, 日本語")
    pdf = client.get("/lessons/reflections/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
