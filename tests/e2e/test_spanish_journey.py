"""A new family member's journey in Spanish, in Chromium: switch to Spanish on the home page,
sign up, confirm the (Spanish) email, sign in, switch to English and back (remembered on the
account), read a lesson, post in the Spanish room, reply to a family session — the interface in
Spanish at every step (the lesson's own text may still be English until it is translated), with
axe on each page."""

import re

import sqlalchemy as sa

from portal.auth.models import User
from portal.care.models import Client
from portal.extensions import db
from tests.catalogues import ROOT, read
from tests.factories import link_family

CATALOG = read(ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po")
PASSWORD = "farol pradera cobre violín"


def es(msgid):
    return CATALOG[msgid].string


def _lang(page):
    return page.evaluate("document.documentElement.lang")


def test_a_spanish_speaking_family_member_from_sign_up_to_rsvp(page, seeded, outbox, assert_accessible):
    page.goto("/")
    assert _lang(page) == "en"
    page.locator("header").get_by_role("button", name="Español").click()
    page.wait_for_function("document.documentElement.lang === 'es'")
    assert es("Need help right now?") in page.inner_text("footer")
    assert_accessible(page)

    page.locator("header").get_by_role("link", name=es("Create account")).click()
    page.wait_for_url("**/auth/signup")
    page.fill("#email", "marisol@example.org")
    page.fill("#display_name", "Marisol")
    page.select_option("#timezone", "America/Chicago")
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main input[type=submit], main button[type=submit]")
    page.get_by_role("heading", name=es("Check your email")).wait_for()
    assert_accessible(page)

    message = outbox()[-1]
    assert message["Subject"] == es("Confirm your email for Family Bridge")
    page.goto(re.search(r"https?://\S+/auth/verify/\S+", message.get_content()).group(0))
    page.get_by_role("heading", name=es("Confirm your email")).wait_for()
    page.click("main input[type=submit]")
    page.wait_for_url("**/auth/login")
    page.fill("#email", "marisol@example.org")
    page.fill("#password", PASSWORD)
    page.click("main input[type=submit]")
    page.wait_for_url("**/dashboard")
    assert _lang(page) == "es"
    assert_accessible(page)

    # English and back: the choice is stored on the account
    page.locator("header").get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url.endswith("/dashboard")
    page.locator("header").get_by_role("button", name="Español").click()
    page.wait_for_function("document.documentElement.lang === 'es'")
    user = db.session.scalar(sa.select(User).filter_by(email="marisol@example.org"))
    assert user.locale == "es"

    # a lesson (the interface around it in Spanish)
    page.locator("header nav").get_by_role("link", name=es("Learn")).click()
    page.locator("main a[href*='/lessons/modules/']").first.click()
    page.locator("main a[href*='/lessons/read/']").first.click()
    page.wait_for_url("**/lessons/read/**")
    meta = page.inner_text(".lesson-meta")
    forms = CATALOG["About %(num)d minute to read"].string
    assert any(re.search(re.escape(form).replace(re.escape("%(num)d"), r"\d+"), meta) for form in forms), meta
    assert _lang(page) == "es"
    assert_accessible(page)

    # the Spanish room: the guidelines first (in Spanish), then a message, held for a moderator's
    # first look as every new member's is
    page.goto("/rooms/familias-en-espanol")
    assert "Familias en español" in page.inner_text("h1")
    page.get_by_role("link", name=es("community guidelines")).click()
    page.get_by_role("heading", name=es("Community guidelines")).wait_for()
    assert "Sea amable" in page.inner_text("main")
    page.locator("main input[type=checkbox]").check()
    page.click("main input[type=submit], main button[type=submit]")
    page.wait_for_url("**/rooms/familias-en-espanol")
    page.locator("#online li").first.wait_for()
    page.fill("#composer-body", "Hola a todos, soy Marisol. Gracias por este espacio.")
    page.keyboard.press("Enter")
    page.locator("li.pending", has_text=es("Waiting for a moderator's review")).wait_for()
    assert_accessible(page)

    # a family session: once Sam Rivera's consent names Marisol, she replies to the next one
    sam = db.session.scalar(sa.select(Client).filter_by(full_name="Sam Rivera"))
    counselor = db.session.scalar(sa.select(User).filter_by(email="counselor@example.org"))
    link_family(user, sam, witness=counselor)
    db.session.remove()
    page.locator("header nav").get_by_role("link", name=es("Sessions")).click()
    page.locator("main a[href*='/calendar/session/']").first.click()
    page.get_by_role("heading", name=es("Will you come?")).wait_for()
    page.locator("main input[name=response][value=going]").check()
    page.locator("main form[action*='/rsvp'] [type=submit]").click()
    page.get_by_text(es("Thank you, your reply is saved.")).wait_for()
    assert page.inner_text("[data-testid=rsvp-state]") == es("You said you are going.")
    assert _lang(page) == "es"
    assert_accessible(page)
