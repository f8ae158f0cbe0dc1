"""The curriculum and the consent in Spanish, in Chromium: a Spanish lesson, a stale one with its
note, a knowledge check answered in Spanish, and a consent signed in Spanish; axe on each page."""

import pytest

from portal.extensions import db
from portal.lessons.content import read_curriculum
from portal.lessons.loader import load_curriculum
from tests.factories import make_user
from tests.lessons.test_translations import LESSON_EN, LESSON_ES, MODULE_EN, MODULE_ES, write

SUBMIT = "main form [type=submit]"


@pytest.fixture
def spanish(app):
    """Spanish among the portal's languages, on the served app too (asked before `page`)."""
    app.config["LANGUAGES"] = ["en", "es"]
    app.live_overrides = {"LANGUAGES": ["en", "es"]}
    return app


def _content(root, stale=False):
    write(root / "01-basics" / "_module.md", MODULE_EN)
    write(root / "01-basics" / "relapse.md", LESSON_EN)
    (english,) = read_curriculum(root)
    write(root / "es" / "01-basics" / "_module.md", MODULE_ES.format(fingerprint=english.fingerprint))
    fingerprint = "0" * 64 if stale else english.lessons[0].fingerprint
    write(root / "es" / "01-basics" / "relapse.md", LESSON_ES.format(fingerprint=fingerprint))
    return root


def test_spanish_reader_reads_and_answers_a_lesson(spanish, page, browser_login, assert_accessible, tmp_path):
    load_curriculum(_content(tmp_path / "content"))
    user = make_user(email="lucia@example.org", display_name="Lucía")
    user.locale = "es"
    db.session.commit()
    browser_login(page, "lucia@example.org")

    page.goto("/lessons/read/relapse-is-part")
    assert page.inner_text("h1") == "Cuando ocurre una recaída"
    assert page.locator(".translation-note").count() == 0
    assert_accessible(page)
    page.check("text=Mantener la calma y hablar con su consejero.")
    page.locator("form.question button[type=submit]").first.click()
    page.wait_for_selector(".feedback-explanation")
    assert "El apoyo con calma" in page.inner_text(".feedback-explanation")
    assert_accessible(page)
    page.goto("/lessons/modules/family-basics")
    assert "Lo básico para las familias" in page.inner_text("h1")
    assert_accessible(page)


def test_a_stale_spanish_lesson_shows_english_with_a_note(spanish, page, browser_login, assert_accessible, tmp_path):
    load_curriculum(_content(tmp_path / "content", stale=True))
    user = make_user(email="lucia@example.org", display_name="Lucía")
    user.locale = "es"
    db.session.commit()
    browser_login(page, "lucia@example.org")

    page.goto("/lessons/read/relapse-is-part")
    assert "Esta lección cambió en inglés" in page.inner_text(".translation-note")
    assert page.get_attribute("h1", "lang") == "en" and page.inner_text("h1") == "When a relapse happens"
    assert_accessible(page)


def test_counselor_records_a_consent_in_spanish(app, page, browser_login, assert_accessible, counselor, sam):
    browser_login(page, counselor.email)
    page.goto(f"/care/clients/{sam.id}/consents/new")
    assert_accessible(page)
    page.check("#language-1")
    page.fill("#recipient_name", "Jordan")
    page.fill("#recipient_relationship", "madre")
    page.fill("#recipient_email", "jordan@example.org")
    page.click(SUBMIT)
    page.wait_for_selector(".consent-text[lang=es]")
    assert page.get_attribute("html", "lang") == "es"
    assert "CONSENTIMIENTO PARA DIVULGAR INFORMACIÓN" in page.inner_text(".consent-text")
    assert_accessible(page)
    page.fill("#signature_name", "Sam Rivera")
    page.check("#attest")
    page.click("main form button[name=submit], main form input[name=submit]")
    page.wait_for_selector(".consent-copy[lang=es] .consent-text")
    assert "Firma electrónica del cliente: Sam Rivera" in page.inner_text(".consent-text")
    assert_accessible(page)
