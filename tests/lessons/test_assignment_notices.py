"""A counselor's assignment reaches each family member in the notification centre ("From your
counselor"), by email, in the digest or only in the portal as they chose; neutral by email."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.clock import utcnow
from portal.extensions import db
from portal.lessons import assignments
from portal.notifications import services as notices
from portal.notifications.models import Notification
from tests.factories import link_family, make_client, make_user
from tests.lessons.conftest import make_module
from tests.mail.conftest import smtp  # noqa: F401 — the real SMTP server on loopback

NEUTRAL = ("Sam", "Rivera", "trusting", "Trusting", "IOP", "treatment")


@pytest.fixture
def setup(app, counselor):
    module = make_module("trusting", title="Trusting again", lessons=2)
    sam = make_client(counselor=counselor, full_name="Sam Rivera")
    pat = make_user(email="pat@example.org", display_name="Pat")
    robin = make_user(email="robin@example.org", display_name="Robin")
    robin.locale = "es"
    link = link_family(pat, sam, witness=counselor)
    link_family(robin, sam, witness=counselor)
    return module, sam, pat, robin, link


def _notices(user):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).filter_by(user_id=user.id).order_by(Notification.id)))


def _to(messages, user):
    return [m for m in messages if m["To"] == user.email]


def test_each_member_gets_one_notice_with_the_lesson_link_the_due_date_and_one_neutral_email(setup, counselor, smtp):  # noqa: F811
    module, sam, pat, robin, _ = setup
    due = date.today() + timedelta(days=7)
    assignments.assign(counselor, sam, [pat.id, robin.id], ["trusting-lesson-1"], note="Before Tuesday", due_on=due)

    (notice,) = _notices(pat)
    assert notice.kind == "lesson_assigned" and notice.client_id == sam.id
    assert notice.url == "/lessons/read/trusting-lesson-1"
    assert notice.data["due"] == due.isoformat() and notice.data["note"] == "Before Tuesday"
    assert [n.kind for n in _notices(robin)] == ["lesson_assigned"]
    assert pat.notifications_unread == 1

    messages = smtp.delivered()
    (email,) = _to(messages, pat)
    assert email["Subject"] == "Family Bridge: something to read from your counselor"
    body = email.get_content()
    assert "Suggested by" in body and str(due.year) in body
    assert f"/notifications/{notice.id}" in body  # the lesson's own address would name it
    assert not any(word in body for word in NEUTRAL) and "Before Tuesday" not in body
    assert "/notifications/unsubscribe/" in email["List-Unsubscribe"]
    (spanish,) = _to(messages, robin)
    assert "consejero" in spanish["Subject"] and "Sugerido para antes del" in spanish.get_content()


def test_the_centre_says_from_your_counselor_and_what_to_read(client, auth, setup, counselor):
    module, sam, pat, robin, _ = setup
    due = date(date.today().year + 1, 1, 15)
    assignments.assign(counselor, sam, [pat.id], ["trusting-lesson-1"], note="<b>Before</b> Tuesday", due_on=due)
    auth.login(pat.email)
    html = client.get("/notifications/").get_data(as_text=True)
    item = html.split('class="notice-item')[1]
    assert "From your counselor" in item and "Your counselor suggested “trusting lesson 1”." in item
    assert 'href="/lessons/read/trusting-lesson-1"' in item
    assert f"Suggested by January 15, {due.year}." in item and "Before Tuesday" in item and "<b>" not in item


def test_several_at_once_are_one_notice_linking_to_the_dashboard(setup, counselor, outbox):
    module, sam, pat, robin, _ = setup
    assignments.assign(counselor, sam, [pat.id], ["trusting-lesson-1", "module:trusting"])
    (notice,) = _notices(pat)
    assert notice.url == "/dashboard#from-your-counselor"
    from portal.notifications import kinds

    headline = kinds.describe(notice, pat)[0]
    assert headline == "Your counselor suggested: “trusting lesson 1”, “Trusting again (the whole module)”."
    assert len(_to(outbox(), pat)) == 1


def test_portal_only_sends_no_email_and_the_digest_gathers_several(setup, counselor, outbox):
    module, sam, pat, robin, _ = setup
    notices.set_channel(pat, "lessons", "portal")
    notices.set_channel(robin, "lessons", "digest")
    db.session.commit()
    assignments.assign(counselor, sam, [pat.id, robin.id], ["trusting-lesson-1"])
    assignments.assign(counselor, sam, [pat.id, robin.id], ["trusting-lesson-2"])
    assert len(_notices(pat)) == 2 and len(_notices(robin)) == 2
    assert _to(outbox(), pat) == [] and _to(outbox(), robin) == []
    assert notices.send_digests() == 1
    (digest,) = _to(outbox(), robin)
    assert "2" in digest["Subject"] and "Sam" not in digest.get_content()
    assert _to(outbox(), pat) == []


def test_a_repeated_assignment_is_not_a_second_notice(setup, counselor):
    module, sam, pat, robin, _ = setup
    assignments.assign(counselor, sam, [pat.id], ["trusting-lesson-1"])
    assignments.assign(counselor, sam, [pat.id], ["trusting-lesson-1"])  # still open: nothing new
    assert len(_notices(pat)) == 1


def test_the_notice_is_hidden_once_the_consent_ended(client, auth, setup, counselor):
    module, sam, pat, robin, link = setup
    assignments.assign(counselor, sam, [pat.id], ["trusting-lesson-1"])
    link.consent.revoked_at = utcnow()
    db.session.commit()
    auth.login(pat.email)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "From your counselor" not in html and "trusting lesson 1" not in html
    assert notices.unread_count(pat) == 0


def test_a_failing_notice_leaves_the_assignment_standing(setup, counselor, monkeypatch):
    from portal.lessons import notices as lesson_notices

    module, sam, pat, robin, _ = setup

    def broken(*args, **kwargs):
        raise RuntimeError("mail template missing")

    monkeypatch.setattr(lesson_notices, "notify", broken)
    rows = assignments.assign(counselor, sam, [pat.id], ["trusting-lesson-1"])
    assert rows and assignments.for_family_member(pat)
    assert _notices(pat) == []


def test_a_first_visit_welcome_points_to_what_the_counselor_suggested(client, auth, setup, counselor):
    module, sam, pat, robin, _ = setup
    auth.login(pat.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Start here" in html and 'href="#from-your-counselor"' not in html
    assignments.assign(counselor, sam, [pat.id], ["trusting-lesson-1"])
    html = client.get("/dashboard").get_data(as_text=True)
    welcome = html.split('id="start-here"')[1].split("</section>")[0]
    assert 'href="#from-your-counselor"' in welcome and 'id="from-your-counselor"' in html


def test_a_spanish_reader_reads_the_titles_in_spanish(client, auth, counselor):
    """The counselor works in English; the notice is in the reader's language, titles included."""
    from portal.lessons import translations
    from portal.lessons.loader import load_curriculum
    from portal.lessons.models import Lesson

    load_curriculum()
    lessons = db.session.scalars(sa.select(Lesson).order_by(Lesson.id)).all()
    found = translations.lesson_translations([lesson.id for lesson in lessons], "es")
    lesson = next(lesson for lesson in lessons if translations.current_text(found, lesson.id))
    spanish_title = translations.current_text(found, lesson.id).title
    assert spanish_title != lesson.title
    sam = make_client(counselor=counselor, full_name="Sam Rivera")
    lectora = make_user(email="lectora@example.org", display_name="Lectora")
    lectora.locale = "es"
    link_family(lectora, sam, witness=counselor)
    assignments.assign(counselor, sam, [lectora.id], [lesson.slug, "worksheet:rewards-list"])
    (notice,) = _notices(lectora)
    assert notice.data["titles"] == [spanish_title, "Mi lista de recompensas"]
    auth.login(lectora.email)
    panel = client.get("/dashboard").get_data(as_text=True).split('id="from-your-counselor"')[1]
    assert spanish_title in panel and "Mi lista de recompensas" in panel and lesson.title not in panel
