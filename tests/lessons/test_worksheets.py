"""Worksheets: private structured forms, saved per person, linked from lessons, exported."""

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons import worksheets
from portal.lessons.models import WorksheetEntry
from portal.security import Role
from tests.factories import make_user

SECRET = "He drinks after calls with his father"
PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '"><svg onload=alert(3)>',
    "[x](javascript:alert(4))",
)


def count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(WorksheetEntry))


def test_at_least_six_worksheets_each_with_fields_and_real_lessons(app, curriculum):
    from portal.lessons.models import Lesson

    slugs = set(db.session.scalars(sa.select(Lesson.slug)))
    assert len(worksheets.WORKSHEETS) >= 6
    assert {s.slug for s in worksheets.WORKSHEETS} >= {
        "functional-analysis",
        "rewards-list",
        "trigger-plan",
        "boundary-plan",
        "self-care-plan",
        "trust-plan",
    }
    for sheet in worksheets.WORKSHEETS:
        with app.test_request_context():
            assert sheet.fields and sheet.lessons and str(sheet.title) and str(sheet.intro)
        assert set(sheet.lessons) <= slugs, sheet.slug
        assert len({f.name for f in sheet.fields}) == len(sheet.fields)


def test_fill_edit_and_list(app, learner, client, auth):
    page = client.get("/lessons/worksheets/functional-analysis")
    assert page.status_code == 200 and "What came before?" in page.get_data(as_text=True)
    response = auth.post("/lessons/worksheets/functional-analysis", {"triggers": SECRET, "gains": "Relief"})
    assert response.status_code == 302
    entry = db.session.scalar(sa.select(WorksheetEntry))
    assert entry.user_id == learner.id and entry.slug == "functional-analysis"
    assert entry.answers == {"triggers": SECRET, "gains": "Relief", "costs": "", "my_part": ""}
    auth.post("/lessons/worksheets/functional-analysis", {"triggers": "Changed", "costs": "Sleep"})
    assert count() == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(WorksheetEntry)).answers["triggers"] == "Changed"
    shown = client.get("/lessons/worksheets/functional-analysis").get_data(as_text=True)
    assert "Changed" in shown and "Sleep" in shown
    listing = client.get("/lessons/worksheets").get_data(as_text=True)
    assert "My worksheets" in listing and "Last saved" in listing and "Not started yet" in listing
    for sheet in worksheets.WORKSHEETS:
        assert f"/lessons/worksheets/{sheet.slug}" in listing


def test_unknown_worksheet_is_404(app, learner, client, auth):
    assert client.get("/lessons/worksheets/nope").status_code == 404
    assert client.get("/lessons/worksheets/" + "a" * 500).status_code == 404
    assert auth.post("/lessons/worksheets/nope", {"triggers": "x"}).status_code == 404
    assert count() == 0


def test_post_without_csrf_saves_nothing(app, learner, client):
    response = client.post("/lessons/worksheets/rewards-list", data={"rewards": "A walk"})
    assert response.status_code in (400, 422)
    assert count() == 0


def test_too_long_answers_are_field_errors(app, learner, client, auth):
    auth.post("/lessons/worksheets/rewards-list", {"rewards": "A walk"})
    response = auth.post("/lessons/worksheets/rewards-list", {"rewards": "x" * 10_000, "when": "ok"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "under 4,000 characters" in body and 'aria-invalid="true"' in body
    assert db.session.scalar(sa.select(WorksheetEntry)).answers["rewards"] == "A walk"
    exactly = auth.post("/lessons/worksheets/rewards-list", {"rewards": "y" * 4_000})
    assert exactly.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(WorksheetEntry)).answers["rewards"] == "y" * 4_000
    huge = auth.post("/lessons/worksheets/rewards-list", {"rewards": "z" * 1_000_000})
    assert huge.status_code in (413, 422)


def test_hostile_input_is_stored_as_text_and_shown_escaped(app, learner, client, auth):
    payload = " ".join(PAYLOADS)
    auth.post("/lessons/worksheets/boundary-plan", {"boundary": payload, "protect": PAYLOADS[1]})
    assert db.session.scalar(sa.select(WorksheetEntry)).answers["boundary"] == payload
    for path in ("/lessons/worksheets/boundary-plan", "/lessons/worksheets"):
        body = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in body and "<img src=x" not in body and "<svg onload" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/lessons/worksheets/boundary-plan").get_data(
        as_text=True
    )
    # the field names are fixed: unknown keys are ignored, never stored
    auth.post("/lessons/worksheets/boundary-plan", {"evil": "x", "boundary": "I will leave the room."})
    db.session.expire_all()
    assert "evil" not in db.session.scalar(sa.select(WorksheetEntry)).answers


def test_lesson_links_to_its_worksheet(app, curriculum, learner, client):
    body = client.get("/lessons/read/understanding-your-loved-ones-use").get_data(as_text=True)
    assert "/lessons/worksheets/functional-analysis" in body and "Put it into practice" in body
    other = client.get("/lessons/read/what-an-iop-is").get_data(as_text=True)
    assert "/lessons/worksheets/functional-analysis" not in other


def test_export_holds_the_worksheets(app, learner, client, auth):
    auth.post("/lessons/worksheets/self-care-plan", {"daily": "A walk with the dog", "people": "Sam"})
    markdown = client.get("/lessons/reflections/export.md")
    text = markdown.get_data(as_text=True)
    assert markdown.status_code == 200
    assert "## My worksheets" in text and "### My self-care plan" in text
    assert "**Something small for every day**" in text and "A walk with the dog" in text
    assert "My rewards list" not in text  # only the sheets the person filled in
    pdf = client.get("/lessons/reflections/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert worksheets.filled(learner)[0][1]["daily"] == "A walk with the dog"


def test_export_pdf_survives_hostile_and_long_answers(app, learner, client, auth):
    auth.post("/lessons/worksheets/trust-plan", {"privileges": " ".join(PAYLOADS) + " é ✓ 漢字", "signs": "w" * 4_000})
    assert client.get("/lessons/reflections/export.pdf").status_code == 200
    assert "<script>alert(1)</script>" in client.get("/lessons/reflections/export.md").get_data(as_text=True)


def test_only_the_owner_ever_sees_a_worksheet(app, client, auth):
    owner = make_user(display_name="Owner")
    auth.login(owner.email)
    auth.post("/lessons/worksheets/trigger-plan", {"risky_times": SECRET})
    auth.logout()
    assert client.get("/lessons/worksheets/trigger-plan").status_code == 302  # to sign in
    assert client.get("/lessons/worksheets").status_code == 302
    assert client.post("/lessons/worksheets/trigger-plan", data={"risky_times": "x"}).status_code in (302, 400)
    others = [
        make_user(display_name="Other family"),
        make_user(roles=(Role.COUNSELOR,)),
        make_user(roles=(Role.ADMIN,)),
        make_user(roles=(Role.MODERATOR,)),
    ]
    for other in others:
        auth.login(other.email)
        for path in (
            "/lessons/worksheets",
            "/lessons/worksheets/trigger-plan",
            "/lessons/reflections/export.md",
            "/dashboard",
        ):
            response = client.get(path)
            assert response.status_code in (200, 403), (other, path)
            assert SECRET not in response.get_data(as_text=True), (other, path)
        assert SECRET.encode() not in client.get("/lessons/reflections/export.pdf").data
        # saving "their" copy only ever writes their own row
        auth.post("/lessons/worksheets/trigger-plan", {"signs": "mine"})
        auth.logout()
    moderator = others[3]
    auth.login(moderator.email)
    assert client.get("/lessons/worksheets/trigger-plan").status_code == 403
    auth.logout()
    rows = db.session.scalars(sa.select(WorksheetEntry)).all()
    owner_row = next(r for r in rows if r.user_id == owner.id)
    assert owner_row.answers["risky_times"] == SECRET and owner_row.answers["signs"] == ""
    assert all(SECRET not in str(r.answers) for r in rows if r.user_id != owner.id)


def test_stats_command_counts_the_worksheets(app, runner):
    result = runner.invoke(args=["curriculum", "stats"])
    assert result.exit_code == 0, result.output
    assert f"worksheets: {len(worksheets.WORKSHEETS)} (bound: at least 6)" in result.output
    assert len(worksheets.WORKSHEETS) >= 6
