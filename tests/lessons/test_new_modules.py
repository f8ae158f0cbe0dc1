"""The modules of issue 10 §2 written in this round (11 to 13) load, render and teach."""

import html

import sqlalchemy as sa

from portal.extensions import db
from portal.lessons.models import Lesson, Module

NEW_MODULES = {
    "mental-health-trauma-and-loss": ["co-occurring-mental-health", "trauma-and-substance-use", "grief-and-loss"],
    "legal-money-and-systems": [
        "money-debt-and-credit",
        "courts-and-commitment",
        "housing-custody-and-cps",
        "leave-insurance-and-quality",
    ],
    "rebuilding-trust-deeper": ["handing-back-privileges", "openness-and-daily-check-in", "money-repair-and-lies"],
}


def test_new_modules_hold_their_lessons_in_order(curriculum):
    for slug, lessons in NEW_MODULES.items():
        module = db.session.scalar(sa.select(Module).filter_by(slug=slug))
        assert [lesson.slug for lesson in module.lessons] == lessons


def test_a_new_lesson_renders_and_a_wrong_answer_shows_its_own_feedback(curriculum, learner, client, auth):
    page = html.unescape(client.get("/lessons/read/leave-insurance-and-quality").get_data(as_text=True))
    assert '<h1 id="lesson-title">Family leave, insurance and choosing a good program</h1>' in page
    assert "<h2>Family leave: the FMLA</h2>" in page and "<h2>Sources</h2>" in page
    assert "up to 12 weeks of unpaid leave" in page and "1-800-662-4357" in page
    assert "The parity law is about insurance coverage" not in page
    lesson = db.session.scalar(sa.select(Lesson).filter_by(slug="leave-insurance-and-quality"))
    question = lesson.questions[0]
    assert question.answer == 2
    auth.post(f"/lessons/read/{lesson.slug}/answer", {"question_id": question.id, "choice": 1})
    page = html.unescape(client.get(f"/lessons/read/{lesson.slug}").get_data(as_text=True))
    assert "The parity law is about insurance coverage, not time off work." in page


def test_new_module_page_lists_its_lessons(curriculum, learner, client):
    page = html.unescape(client.get("/lessons/modules/rebuilding-trust-deeper").get_data(as_text=True))
    assert "Rebuilding trust, step by step" in page
    for title in ("Handing back privileges, one step at a time", "Openness they offer, and a daily check-in"):
        assert title in page
