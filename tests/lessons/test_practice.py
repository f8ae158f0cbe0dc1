"""The "Try this week" practice: commit on the lesson page, asked on a later visit, each answer's
next step; the counselor sees it only through opt-in sharing; hostile input."""

import pytest
import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.extensions import db
from portal.lessons import practice, services
from portal.lessons.models import Outcome, PracticeCommitment
from portal.security import Role
from tests.factories import link_family, make_client, make_user
from tests.lessons.conftest import make_module

TEXT = "Take a ten-minute walk on your own."


def module_with_practice(slug="try"):
    module = make_module(slug, lessons=3)
    first, second, third = module.lessons
    first.practice_text, first.practice_followup = TEXT, second.slug
    second.practice_text = "Say one kind thing."
    db.session.commit()
    return module


def commitments(user):
    return list(db.session.scalars(sa.select(PracticeCommitment).filter_by(user_id=user.id)))


def commit_via_page(auth, lesson):
    return auth.post(f"/lessons/read/{lesson.slug}/practice", page=f"/lessons/read/{lesson.slug}")


def next_visit(auth, user):
    """Sign out and in again: a new sign-in session, so earlier commitments are due."""
    auth.logout()
    auth.login(user.email)


# --- the lesson page -----------------------------------------------------------------------------


def test_lesson_page_offers_the_practice_and_a_commit_button(app, client, learner):
    lesson = module_with_practice().lessons[0]
    page = client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True)
    assert "Try this week" in page and TEXT in page and "try this</button>" in page
    assert f'action="/lessons/read/{lesson.slug}/practice"' in page


def test_a_lesson_without_practice_shows_no_box_and_refuses_a_commit(app, client, auth, learner):
    lesson = module_with_practice().lessons[2]
    assert "Try this week" not in client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True)
    assert commit_via_page(auth, lesson).status_code == 302
    assert commitments(learner) == []


def test_commit_once_per_lesson_double_submit_and_withdraw(app, client, auth, learner):
    lesson = module_with_practice().lessons[0]
    assert commit_via_page(auth, lesson).status_code == 302
    assert commit_via_page(auth, lesson).status_code == 302  # double submit
    rows = commitments(learner)
    assert len(rows) == 1 and rows[0].is_open
    page = client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True)
    assert "You chose to try this" in page and "Take it back" in page
    assert auth.post(f"/lessons/practice/{rows[0].id}/withdraw").status_code == 302
    assert commitments(learner) == []
    assert auth.post(f"/lessons/practice/{rows[0].id}/withdraw").status_code == 404  # gone


def test_the_database_allows_one_open_commitment_per_person_and_lesson(app, learner):
    lesson = module_with_practice().lessons[0]
    db.session.add(PracticeCommitment(user_id=learner.id, lesson_id=lesson.id))
    db.session.commit()
    db.session.add(PracticeCommitment(user_id=learner.id, lesson_id=lesson.id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    # an answered one does not count as open
    first = commitments(learner)[0]
    practice.record_outcome(learner, first, Outcome.TRIED)
    assert practice.commit(learner, lesson).is_open


# --- the follow-up on the next visit ------------------------------------------------------------


def test_not_asked_in_the_same_visit_but_asked_on_the_next(app, client, auth, learner):
    lesson = module_with_practice().lessons[0]
    commit_via_page(auth, lesson)
    assert "How did it go?" not in client.get("/dashboard").get_data(as_text=True)
    next_visit(auth, learner)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "How did it go?" in page and TEXT in page
    row = commitments(learner)[0]
    assert f'action="/lessons/practice/{row.id}/outcome"' in page
    for value in ("tried", "not_yet", "went_badly"):
        assert f'value="{value}"' in page


def test_tried_records_the_outcome_and_offers_the_next_lesson_on_the_path(app, client, auth, learner):
    module = module_with_practice()
    lesson = module.lessons[0]
    services.complete_lesson(learner, lesson)
    commit_via_page(auth, lesson)
    next_visit(auth, learner)
    row = commitments(learner)[0]
    response = auth.post(f"/lessons/practice/{row.id}/outcome", {"outcome": "tried"})
    assert response.status_code == 302 and response.location.endswith(f"/lessons/practice/{row.id}#next-step")
    db.session.refresh(row)
    assert row.outcome == "tried" and row.outcome_at is not None
    page = client.get(f"/lessons/practice/{row.id}").get_data(as_text=True)
    assert "Well done" in page and module.lessons[1].title in page
    assert "How did it go?" not in client.get("/dashboard").get_data(as_text=True)


def test_didnt_get_to_it_offers_another_week(app, client, auth, learner):
    lesson = module_with_practice().lessons[0]
    commit_via_page(auth, lesson)
    next_visit(auth, learner)
    row = commitments(learner)[0]
    auth.post(f"/lessons/practice/{row.id}/outcome", {"outcome": "not_yet"})
    page = client.get(f"/lessons/practice/{row.id}").get_data(as_text=True)
    assert "Keep it for another week" in page
    assert auth.post(f"/lessons/practice/{row.id}/again").status_code == 302
    assert auth.post(f"/lessons/practice/{row.id}/again").status_code == 302  # double submit
    rows = commitments(learner)
    assert sorted(r.outcome or "open" for r in rows) == ["not_yet", "open"]
    # kept for another week: asked again on a later visit, not in this one
    assert "How did it go?" not in client.get("/dashboard").get_data(as_text=True)
    next_visit(auth, learner)
    assert "How did it go?" in client.get("/dashboard").get_data(as_text=True)


def test_went_badly_offers_the_followup_lesson_and_a_private_note(app, client, auth, learner):
    module = module_with_practice()
    lesson = module.lessons[0]
    commit_via_page(auth, lesson)
    next_visit(auth, learner)
    row = commitments(learner)[0]
    auth.post(f"/lessons/practice/{row.id}/outcome", {"outcome": "went_badly"})
    page = client.get(f"/lessons/practice/{row.id}").get_data(as_text=True)
    assert module.lessons[1].title in page and "A note for your counselor" in page
    assert auth.post(f"/lessons/practice/{row.id}/note", {"note": "He shouted and left."}).status_code == 302
    db.session.refresh(row)
    assert row.note == "He shouted and left." and row.note_shared is False
    auth.post(f"/lessons/practice/{row.id}/note", {"note": "He shouted and left.", "share": "y"})
    db.session.refresh(row)
    assert row.note_shared is True
    events = db.session.scalars(sa.select(AuditEvent.action).filter_by(object_type="practice_commitments")).all()
    assert events == ["lessons.practice_note_shared"]


def test_an_answer_cannot_be_changed_but_a_double_submit_is_harmless(app, client, auth, learner):
    lesson = module_with_practice().lessons[0]
    commit_via_page(auth, lesson)
    row = commitments(learner)[0]
    auth.post(f"/lessons/practice/{row.id}/outcome", {"outcome": "tried"})
    assert auth.post(f"/lessons/practice/{row.id}/outcome", {"outcome": "tried"}).status_code == 302
    auth.post(f"/lessons/practice/{row.id}/outcome", {"outcome": "went_badly"})
    db.session.refresh(row)
    assert row.outcome == "tried"
    # a note belongs to "went badly" only; "again" to "didn't get to it" only
    auth.post(f"/lessons/practice/{row.id}/note", {"note": "x"})
    auth.post(f"/lessons/practice/{row.id}/again")
    db.session.refresh(row)
    assert row.note is None and len(commitments(learner)) == 1


# --- hostile input ------------------------------------------------------------------------------


def went_badly(auth, learner):
    lesson = module_with_practice().lessons[0]
    commit_via_page(auth, lesson)
    row = commitments(learner)[0]
    auth.post(f"/lessons/practice/{row.id}/outcome", {"outcome": "went_badly"})
    return row


def test_xss_in_the_note_is_sanitized(app, client, auth, learner):
    row = went_badly(auth, learner)
    auth.post(f"/lessons/practice/{row.id}/note", {"note": '<script>alert(1)</script><img src=x onerror="alert(2)">'})
    page = client.get(f"/lessons/practice/{row.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img" not in page.split('id="practice-note"')[1]
    db.session.refresh(row)
    assert "<script" not in row.note_html and "<img" not in row.note_html
    assert "&lt;script&gt;" in row.note_html  # shown as the text that was typed


def test_a_ten_thousand_character_note_is_refused_with_a_field_error(app, client, auth, learner):
    row = went_badly(auth, learner)
    response = auth.post(f"/lessons/practice/{row.id}/note", {"note": "x" * 10_000, "share": "y"})
    assert response.status_code == 422
    assert "under 2,000 characters" in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.note is None and row.note_shared is False


@pytest.mark.parametrize("outcome", ["", "maybe", "<script>", "' OR 1=1--", "x" * 5000])
def test_a_bad_outcome_re_renders_with_a_field_error(app, client, auth, learner, outcome):
    lesson = module_with_practice().lessons[0]
    commit_via_page(auth, lesson)
    row = commitments(learner)[0]
    response = auth.post(f"/lessons/practice/{row.id}/outcome", {"outcome": outcome})
    assert response.status_code == 422 and "How did it go?" in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.is_open


def test_unknown_lessons_and_ids_are_404(app, client, auth, learner):
    assert commit_via_page(auth, type("L", (), {"slug": "no-such-lesson"})).status_code == 404
    assert auth.post("/lessons/read/" + "x" * 200 + "/practice").status_code == 404
    for path in ("/lessons/practice/999999", "/lessons/practice/0"):
        assert client.get(path).status_code == 404
    for action in ("outcome", "again", "note", "withdraw"):
        assert auth.post(f"/lessons/practice/999999/{action}", {"outcome": "tried"}).status_code == 404
    assert client.get("/lessons/practice/99999999999999999999").status_code == 404


def test_someone_elses_commitment_is_404(app, client, auth, learner):
    lesson = module_with_practice().lessons[0]
    other = make_user(display_name="Other")
    theirs = practice.commit(other, lesson)
    assert client.get(f"/lessons/practice/{theirs.id}").status_code == 404
    for action, data in (("outcome", {"outcome": "went_badly"}), ("withdraw", {}), ("again", {}), ("note", {})):
        assert auth.post(f"/lessons/practice/{theirs.id}/{action}", data).status_code == 404
    db.session.refresh(theirs)
    assert theirs.is_open


def test_state_changing_routes_refuse_get_and_need_csrf(app, client, learner):
    lesson = module_with_practice().lessons[0]
    row = practice.commit(learner, lesson)
    assert client.get(f"/lessons/read/{lesson.slug}/practice").status_code == 405
    for action in ("outcome", "again", "note", "withdraw"):
        assert client.get(f"/lessons/practice/{row.id}/{action}").status_code == 405
        assert client.post(f"/lessons/practice/{row.id}/{action}", data={"outcome": "tried"}).status_code == 400
    assert client.post(f"/lessons/read/{lesson.slug}/practice").status_code == 400
    db.session.refresh(row)
    assert row.is_open


def test_visitors_and_staff_without_learning_cannot_use_it(app, client, auth):
    lesson = module_with_practice().lessons[0]
    assert client.get("/lessons/practice/1").status_code in (302, 401)
    response = client.post(f"/lessons/read/{lesson.slug}/practice")
    assert response.status_code in (302, 400, 401)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PracticeCommitment)) == 0


# --- sharing with the counselor -----------------------------------------------------------------


def family_with_practice(counselor):
    module = module_with_practice("shared")
    member = make_user(display_name="Pat (family)")
    client_row = make_client(counselor=counselor, full_name="Sam Rivera")
    link_family(member, client_row, witness=counselor)
    tried = practice.commit(member, module.lessons[0])
    practice.record_outcome(member, tried, Outcome.WENT_BADLY)
    practice.save_note(member, tried, "Private: it ended in a fight.", share=False)
    badly = practice.commit(member, module.lessons[1])
    practice.record_outcome(member, badly, Outcome.WENT_BADLY)
    practice.save_note(member, badly, "Shared: I could use some advice.", share=True)
    return member, client_row, module


def progress_page(client, client_row):
    return client.get(f"/lessons/clients/{client_row.id}/family-progress")


def test_counselor_sees_practice_only_while_sharing_is_on(app, client, auth, counselor):
    member, client_row, module = family_with_practice(counselor)
    auth.login(counselor.email)
    page = progress_page(client, client_row).get_data(as_text=True)
    assert "Pat (family)" not in page and module.lessons[0].title not in page and "advice" not in page

    services.set_sharing(member, True)
    page = progress_page(client, client_row).get_data(as_text=True)
    assert "Try this week" in page and "it went badly" in page
    assert module.lessons[0].title in page and module.lessons[1].title in page
    assert "Shared: I could use some advice." in page  # the one note shared
    assert "it ended in a fight" not in page  # the private one never

    services.set_sharing(member, False)
    page = progress_page(client, client_row).get_data(as_text=True)
    assert "advice" not in page and module.lessons[1].title not in page


def test_other_counselors_and_families_see_nothing(app, client, auth, counselor):
    member, client_row, _ = family_with_practice(counselor)
    services.set_sharing(member, True)
    auth.login(make_user(roles=(Role.COUNSELOR,)).email)
    assert progress_page(client, client_row).status_code == 404
    auth.logout()
    other_family = make_user(display_name="Other family")
    auth.login(other_family.email)
    assert progress_page(client, client_row).status_code == 403
    theirs = commitments(member)[0]
    assert client.get(f"/lessons/practice/{theirs.id}").status_code == 404
    assert "advice" not in client.get("/dashboard").get_data(as_text=True)


def test_the_english_practice_is_marked_as_english_for_a_spanish_reader(app, client, learner):
    lesson = module_with_practice().lessons[0]
    page = client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True)
    assert f'<p class="practice-text">{TEXT}</p>' in page
    learner.locale = "es"
    db.session.commit()
    app.config["LANGUAGES"] = [*app.config["LANGUAGES"], "es"]
    page = client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True)
    assert f'<p class="practice-text" lang="en">{TEXT}</p>' in page


def test_counselor_sees_nothing_once_the_consent_is_revoked(app, client, auth, counselor):
    from portal.care.models import FamilyLink
    from portal.clock import utcnow

    member, client_row, module = family_with_practice(counselor)
    services.set_sharing(member, True)
    link = db.session.scalar(sa.select(FamilyLink).filter_by(user_id=member.id))
    link.consent.revoked_at = utcnow()
    db.session.commit()
    auth.login(counselor.email)
    page = progress_page(client, client_row).get_data(as_text=True)
    assert module.lessons[1].title not in page and "advice" not in page
