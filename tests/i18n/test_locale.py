"""Choosing the language: Accept-Language, ?lang=, the header switch (visitor: session cookie;
signed in: users.locale, on every device), <html lang>; and the places that speak a person's own
language whoever asks: emails, reminders, the calendar feed, socket acks, WTForms' messages."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from portal.auth.models import User
from portal.extensions import db
from tests.catalogues import ROOT, read
from tests.factories import make_user

CATALOG = read(ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po")
HTML_LANG = re.compile(r'<html lang="([^"]+)">')


def es(msgid, **values):
    """The Spanish of a msgid, as the catalogue has it (filled in like gettext)."""
    text = CATALOG[msgid].string
    return text % values if values else text


def lang_of(response):
    return HTML_LANG.search(response.get_data(as_text=True)).group(1)


def switch(auth, locale, page="/", **headers):
    """Press the header switch on `page` (the browser sends Referer: the page it was on)."""
    return auth.post("/auth/language", {"locale": locale}, page=page, headers={"Referer": f"http://localhost{page}"})


def test_a_visitor_gets_the_browsers_language(client):
    spanish = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert lang_of(spanish) == "es" and es("Sign in") in spanish.get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert lang_of(english) == "en" and "Sign in" in english.get_data(as_text=True)
    other = client.get("/", headers={"Accept-Language": "fr-FR, de;q=0.8"})
    assert lang_of(other) == "en"


def test_the_switch_names_the_other_language_in_that_language_with_its_own_lang(client):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<button name="locale" value="es" lang="es"[^>]*>Español</button>', page)
    assert 'value="en" lang="en"' not in page
    page = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert re.search(r'<button name="locale" value="en" lang="en"[^>]*>English</button>', page)
    assert 'action="/auth/language"' in page and 'name="csrf_token"' in page


def test_lang_in_the_address_chooses_and_is_remembered_by_a_visitor(client):
    assert lang_of(client.get("/auth/login?lang=es", headers={"Accept-Language": "en"})) == "es"
    assert lang_of(client.get("/auth/signup", headers={"Accept-Language": "en"})) == "es"  # remembered
    assert lang_of(client.get("/?lang=en", headers={"Accept-Language": "es"})) == "en"
    assert lang_of(client.get("/", headers={"Accept-Language": "es"})) == "en"


@pytest.mark.parametrize("value", ["xx", "../../etc/passwd", "es'--", "<script>", "e" * 5000, "ES", ""])
def test_a_language_the_portal_does_not_speak_is_ignored(client, value):
    response = client.get("/", query_string={"lang": value}, headers={"Accept-Language": "en"})
    assert response.status_code == 200 and lang_of(response) == "en"


def test_a_visitor_switches_and_returns_to_the_same_page(client, auth):
    response = switch(auth, "es", page="/auth/reset?x=1&lang=en")
    assert response.status_code == 303 and response.headers["Location"] == "/auth/reset?x=1"
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": "en"})) == "es"
    switch(auth, "en", page="/auth/login")
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": "es"})) == "en"


def test_the_switch_needs_its_csrf_token_and_a_post(client):
    assert client.post("/auth/language", data={"locale": "es"}).status_code == 400
    assert client.get("/auth/language").status_code == 405
    assert lang_of(client.get("/", headers={"Accept-Language": "en"})) == "en"


@pytest.mark.parametrize("value", ["fr", "", "es\x00", "<b>es</b>", "x" * 10000])
def test_a_hostile_switch_changes_nothing(client, auth, family, value):
    auth.login(family.email)
    response = auth.post("/auth/language", {"locale": value})
    assert response.status_code == (400 if "\x00" in value else 303)  # NUL bytes: a malformed request
    db.session.expire_all()
    assert db.session.get(User, family.id).locale == "en"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_the_switch_never_sends_anyone_to_another_site(client, auth, target):
    response = auth.post("/auth/language", {"locale": "es", "next": target}, headers={"Referer": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_signed_in_choice_is_stored_on_the_account_and_follows_them_to_another_device(app, client, auth, family):
    auth.login(family.email)
    switch(auth, "es", page="/dashboard")
    db.session.expire_all()
    assert db.session.get(User, family.id).locale == "es"
    page = client.get("/dashboard", headers={"Accept-Language": "en"})
    assert lang_of(page) == "es" and es("Dashboard") in page.get_data(as_text=True)

    other_device = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other_device).login(family.email)
    assert lang_of(other_device.get("/dashboard", headers={"Accept-Language": "en"})) == "es"
    # back to English, remembered too; signing out keeps the language the person reads
    switch(auth, "en", page="/dashboard")
    assert lang_of(other_device.get("/dashboard", headers={"Accept-Language": "es"})) == "en"
    auth.logout()
    assert lang_of(client.get("/", headers={"Accept-Language": "es"})) == "en"


def test_the_account_page_chooses_the_language_too(client, auth, family):
    auth.login(family.email)
    page = client.get("/auth/account").get_data(as_text=True)
    assert '<option lang="es" value="es">Español</option>' in page or 'lang="es" value="es"' in page
    data = {"display_name": "Jordan", "timezone": "America/New_York", "locale": "es"}
    assert auth.post("/auth/account", data, page="/auth/account").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, family.id).locale == "es"
    bad = auth.post("/auth/account", {**data, "locale": "fr<script>"}, page="/auth/account")
    assert bad.status_code == 422 and "<script>" not in bad.get_data(as_text=True).split("</header>")[1]
    db.session.expire_all()
    assert db.session.get(User, family.id).locale == "es"


def test_signing_up_in_spanish_makes_a_spanish_account_and_a_spanish_email(client, auth, outbox):
    client.get("/?lang=es")
    form = {
        "email": "nueva@example.org",
        "display_name": "Marisol",
        "timezone": "America/Chicago",
        "password": "a long enough passphrase here",
        "confirm": "a long enough passphrase here",
    }
    response = auth.post("/auth/signup", form, page="/auth/signup")
    assert response.status_code == 200 and lang_of(response) == "es"
    user = db.session.scalar(sa.select(User).filter_by(email="nueva@example.org"))
    assert user.locale == "es"
    (message,) = outbox()
    assert message["Subject"] == es("Confirm your email for Family Bridge")
    assert es("Hello %(name)s,", name="Marisol") in message.get_content()


def test_security_notices_speak_the_account_holders_language_whoever_triggers_them(app, outbox):
    from portal.auth import tokens

    user = make_user(email="lucia@example.org", display_name="Lucía")
    user.locale = "es"
    db.session.commit()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        tokens.send_password_changed_notice(user)
        tokens.send_reset(user.email)
    db.session.commit()
    subjects = {m["Subject"] for m in outbox()}
    assert subjects == {es("Your Family Bridge password was changed"), es("Reset your Family Bridge password")}


def test_wtforms_own_messages_are_in_spanish(client, auth):
    client.get("/?lang=es")
    response = auth.post("/auth/login", {"email": "", "password": ""}, page="/auth/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and lang_of(response) == "es"
    assert "This field is required." not in page and "Este campo es obligatorio." in page


def test_the_calendar_feed_speaks_the_subscribers_language_whoever_fetches_it(client, counselor, sam):
    from portal.calendar import feeds
    from tests.calendar.conftest import make_series
    from tests.factories import link_family

    user = make_user(email="lucia@example.org", display_name="Lucía")
    user.locale = "es"
    link_family(user, sam, witness=counselor)
    db.session.commit()
    make_series(counselor, client=sam, mode="in_person", title="IOP family night")
    path = f"/calendar/feed/{feeds.feed_token(user)}.ics"
    text = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    unfolded = text.replace("\r\n ", "")
    assert f"SUMMARY:{es('Family session')}" in unfolded
    assert es("In person (address in the portal)") in unfolded
    assert "Details and how to join" not in unfolded and "IOP" not in unfolded


def test_socket_error_messages_are_in_the_persons_language_and_codes_unchanged(chat):
    user = make_user(email="lucia@example.org", display_name="Lucía")
    user.locale = "es"
    db.session.commit()
    english = make_user(email="jo@example.org", display_name="Jo")
    spanish_sock, english_sock = chat.connect(user), chat.connect(english)
    ack = spanish_sock.emit("join", {"room": "not-there"}, namespace="/chat", callback=True)
    assert ack["ok"] is False and ack["error"] == "not_found"
    assert ack["message"] == es("We could not find that room or message.")
    ack = english_sock.emit("join", {"room": "not-there"}, namespace="/chat", callback=True)
    assert ack["error"] == "not_found" and ack["message"] == "We could not find that room or message."


def test_plurals_read_right_in_both_languages(app):
    from flask_babel import force_locale

    from portal import mail

    with app.test_request_context("/"):
        assert mail.lifetime_text(timedelta(hours=1)) == "1 hour"
        assert mail.lifetime_text(timedelta(days=7)) == "7 days"
        with force_locale("es"):
            assert mail.lifetime_text(timedelta(hours=1)) == es("%(num)d hour")[0] % {"num": 1}
            assert mail.lifetime_text(timedelta(days=7)) == es("%(num)d day")[1] % {"num": 7}


def test_the_crisis_footer_has_the_spanish_options_on_every_page(client):
    page = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    footer = page.split('<footer class="site-footer">')[1]
    assert es("In Spanish: call 988 and press 2, or text AYUDA to 988.") in footer
    assert "AYUDA" in footer and "1-800-662-4357" in footer and 'href="tel:911"' in footer
    english = client.get("/").get_data(as_text=True).split('<footer class="site-footer">')[1]
    assert "In Spanish: call 988 and press 2, or text AYUDA to 988." in english


def test_a_reminder_is_in_the_recipients_language_with_babels_spanish_date(app, outbox, counselor, sam):
    from portal.calendar import roster
    from portal.calendar.reminders import send_due
    from portal.calendar.schedule import occurrences_of
    from tests.calendar.conftest import make_series
    from tests.factories import link_family

    user = make_user(email="lucia@example.org", display_name="Lucía")
    user.locale = "es"
    link_family(user, sam, witness=counselor)
    db.session.commit()
    series = make_series(counselor, client=sam, mode="in_person")
    occurrence = occurrences_of(series)[0]
    roster.respond(user, occurrence, "going")
    outbox()  # the "new session" notice
    assert send_due(now=occurrence.start - timedelta(hours=23)) == 1
    message = outbox()[-1]
    assert message["Subject"] == es("Reminder: %(title)s", title=es("Family session"))
    body = message.get_content()
    assert es("Hello %(name)s,", name="Lucía") in body
    local = occurrence.start.astimezone(ZoneInfo("America/New_York"))
    assert format_date(local, "full", locale="es") in body  # "martes, 8 de diciembre de 2026"
    assert "PM" not in body and "Reminder" not in body


def test_calendar_notices_speak_each_recipients_language(app, outbox, counselor, sam):
    from tests.calendar.conftest import make_series
    from tests.factories import link_family

    spanish = make_user(email="lucia@example.org", display_name="Lucía")
    spanish.locale = "es"
    english = make_user(email="jo@example.org", display_name="Jo")
    link_family(spanish, sam, witness=counselor)
    link_family(english, sam, witness=counselor)
    db.session.commit()
    make_series(counselor, client=sam, mode="in_person")
    subjects = {m["To"]: m["Subject"] for m in outbox()}
    assert subjects["jo@example.org"] == "Family session: a new date"
    # the notice centre words the email (portal/notifications/kinds.py)
    assert subjects["lucia@example.org"] == es("%(title)s: a new date") % {"title": es("Family session")}


def test_the_spanish_room_and_its_messages_carry_lang_es_on_an_english_page(client, auth, seeded):
    from tests.factories import DEMO_PASSWORD

    auth.login("moderator@example.org", DEMO_PASSWORD)
    page = client.get("/rooms/familias-en-espanol").get_data(as_text=True)
    assert lang_of(client.get("/rooms/")) == "en"
    assert '<h1 id="room-title" lang="es">Familias en español</h1>' in page
    bodies = re.findall(r'<div class="msg-body"( lang="es")?>', page)
    assert bodies and all(bodies)
    listing = client.get("/rooms/").get_data(as_text=True)
    assert re.search(r'<h2 lang="es"><a href="/rooms/familias-en-espanol">', listing)
    assert re.search(r'<h2 lang="en"><a href="/rooms/welcome">', listing)
