"""Every page every demo role can reach, in Spanish, shows no English sentence of the interface.

The English sentences are the catalogue's msgids (each cut at its placeholders into runs of two
words or more) whose Spanish differs from them; a page's visible text (and the labels a screen
reader speaks: aria-label, title, alt, placeholder) must contain none of them verbatim. Passages
marked lang="en" (the "English" switch) are in English on purpose and are left out. Curriculum
text is content, not interface (until a lesson is translated it may still be English), and a
signed consent's text is a record kept in the language it was signed in: both are left out.
"""

import html
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from portal.auth.models import User
from portal.extensions import db
from tests.catalogues import PLACEHOLDER, ROOT, read
from tests.factories import DEMO_PASSWORD, DEMO_ROLES

CATALOG = read(ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po")
ROLES = {**DEMO_ROLES, "familia": "familia@example.org"}
MAX_PAGES = 150
SKIP_PREFIXES = ("/auth/logout", "/static/", "/calendar/feed/", "/healthz")
SKIP_SUFFIXES = (".ics", ".pdf", ".md", ".csv")
LINK = re.compile(r'<a\s[^>]*href="([^"#][^"]*)"')


def _english_sentences():
    spanish = " ".join(" ".join(m.string) if isinstance(m.string, tuple) else m.string for m in CATALOG if m.id)
    runs = set()
    for message in CATALOG:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if set(ids) <= set(forms):
            continue  # the same in both languages (a name, a number)
        for msgid in ids:
            for run in PLACEHOLDER.split(msgid.replace("%%", "%")):
                run = " ".join(run.split()).strip(" .,:;()—-·")
                if len(run.split()) >= 2 and len(run) >= 8 and run not in spanish:
                    runs.add(run)
    return sorted(runs, key=len, reverse=True)


ENGLISH = _english_sentences()


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SPOKEN = ("aria-label", "title", "alt", "placeholder")
# Records and content rather than interface: a consent's text as it was signed (in the language it
# was signed in), the curriculum's own questions on the authoring pages.
CONTENT_CLASSES = {"consent-text", "curriculum"}


class _Reader(HTMLParser):
    """The text of <body> and the labels a screen reader speaks, leaving out scripts, passages
    marked lang="en" and the curriculum's own text (a lesson's body: content, not interface)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.stack, self.skipping = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if not self.skipping:
                self.parts += [v for k, v in attrs if k in SPOKEN and v]
            return
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        in_lesson = any("lesson" in c for _, c, _ in self.stack)
        skip = (
            tag in ("script", "style", "template", "head")
            or attributes.get("lang") == "en"
            or ("prose" in classes and in_lesson)
            or CONTENT_CLASSES.intersection(classes)
        )
        counted = bool(skip or self.skipping)
        self.stack.append((tag, classes, counted))
        if counted:
            self.skipping += 1
        else:
            self.parts += [v for k, v in attrs if k in SPOKEN and v]

    def handle_endtag(self, tag):
        if tag in VOID or not any(t == tag for t, _, _ in self.stack):
            return
        while self.stack:
            open_tag, _, counted = self.stack.pop()
            self.skipping -= counted
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(page):
    """What a reader sees or hears on the page, as one line of text."""
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return " ".join(" ".join(reader.parts).split())


def english_left(page):
    text = visible_text(page)
    return [run for run in ENGLISH if run in text]


def _endpoint(app, path):
    try:
        return app.url_map.bind("localhost").match(path, method="GET")[0]
    except HTTPException:
        return None


def _direct_urls(app):
    from tests.test_route_smoke import PARAM, build, real_values

    snapshot = {t.name: [dict(r._mapping) for r in db.session.execute(t.select())] for t in db.metadata.sorted_tables}
    db.session.remove()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith(SKIP_PREFIXES) or rule.rule.endswith(SKIP_SUFFIXES):
            continue
        args = [m.group("name") for m in PARAM.finditer(rule.rule)]
        values = real_values(rule, snapshot) or {name: "not-there" for name in args}
        yield build(rule, values)


def test_the_english_sentences_are_found_when_they_are_there():
    assert len(ENGLISH) > 800
    assert "Skip to main content" in ENGLISH and "Need help right now?" in ENGLISH
    page = '<body><a lang="en">Need help right now?</a><p title="Skip to main content">Hola</p></body>'
    assert english_left(page) == ["Skip to main content"]


@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLES))
def test_no_english_sentence_is_left_on_any_page_in_spanish(role, app, client, auth, seeded):
    if ROLES[role]:
        db.session.execute(db.update(User).where(User.email == ROLES[role]).values(locale="es"))
        db.session.commit()
        response = auth.login(ROLES[role], DEMO_PASSWORD)
        assert response.status_code == 302, f"demo login failed for {role}"
        start = "/dashboard"
    else:
        start = "/?lang=es"
    headers = {"Accept-Language": "en"}  # the account's (or the chosen) language wins
    queue, seen, checked, misses = deque([start]), {start}, {}, {}
    direct = iter(_direct_urls(app))
    while len(checked) < MAX_PAGES:
        if not queue:
            url = next(direct, None)
            if url is None:
                break
        else:
            url = queue.popleft()
        response = client.get(url, headers=headers)
        key = _endpoint(app, urlsplit(url).path) if response.status_code < 400 else f"error {response.status_code}"
        if response.status_code in (301, 302, 303) or key in checked or response.mimetype != "text/html":
            continue
        checked[key] = url
        page = response.get_data(as_text=True)
        assert '<html lang="es">' in page, f"{url} is not in Spanish"
        left = english_left(page)
        if left:
            misses[url] = left
        for href in LINK.findall(page):
            target, _ = urldefrag(html.unescape(href))
            parts = urlsplit(target)
            if parts.netloc or parts.path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
                continue
            if target not in seen:
                seen.add(target)
                queue.append(target)
    print(f"\n{role}: {len(checked)} pages in Spanish: {sorted(checked)}")
    assert len(checked) >= (5 if role == "anonymous" else 15), f"the crawl reached too little: {checked}"
    report = "\n".join(f"{url}: {left}" for url, left in misses.items())
    assert not misses, f"English left on {len(misses)} of {len(checked)} pages as {role}:\n{report}"
