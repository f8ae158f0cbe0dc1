"""Every page a demo user can reach by following links passes axe-core, at 360 px wide (and, in
English, the rules that depend on the width at 390 px too: GEOMETRY_RULES in conftest.py).

For each demo role (and a visitor), the crawl starts at the dashboard (the home page for a
visitor) and follows same-origin links breadth-first. Pages are grouped by route (endpoint):
the first page of each route gets the full check — axe-core with zero violations (in Spanish
every rule but colour contrast, which the English pass at 360 px checks: see WITHOUT_CONTRAST
in conftest.py), exactly one <h1>, a skip link that moves focus to #main, no
horizontal scrolling at 360 px. Known failures
in features still being built are listed in KNOWN (strict: a fixed one must be removed), each with
what fails there.
"""

import re
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from tests.e2e.conftest import GEOMETRY_RULES
from tests.factories import DEMO_PASSWORD, DEMO_ROLES

MAX_PAGES = 40
# The narrowest phone the portal is built for, and a common one: the crawl checks both widths,
# and no stylesheet breakpoint may lie between them (test_no_stylesheet_breakpoint_lies_between…).
NARROW = {"width": 360, "height": 780}
PHONE = {"width": 390, "height": 844}
SKIP_PREFIXES = ("/auth/logout", "/static/", "/calendar/feed/")
SKIP_SUFFIXES = (".ics", ".pdf", ".md", ".csv")
# (role, endpoint) → what fails there; each entry must still fail.
KNOWN: dict[tuple[str, str], str] = {}


def _endpoint(app, path):
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return endpoint


def _links(page, origin):
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    out = []
    for href in hrefs:
        url, _ = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        if parts.path.startswith(SKIP_PREFIXES) or parts.path.endswith(SKIP_SUFFIXES):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


# The language, the number of <h1>s and the width, in one round trip to the page; focus then
# leaves wherever the page put it, so the next Tab starts from the top as on arrival.
PAGE_FACTS = """() => {
    const root = document.documentElement;
    const facts = [root.lang, document.querySelectorAll("h1").length, root.scrollWidth];
    if (document.activeElement) document.activeElement.blur();
    return facts;
}"""


def _check_page(page, assert_accessible, lang="en", also_390=False):
    """Problems on the current page, as a list of strings (empty when it is fine); with `also_390`,
    axe runs its rules that depend on the width again at 390 px (a common phone)."""
    problems = []
    shown, h1, width = page.evaluate(PAGE_FACTS)
    if shown != lang:
        problems.append(f'<html lang="{shown}">, not "{lang}"')
    if h1 != 1:
        problems.append(f"{h1} <h1> elements")
    if width > NARROW["width"]:
        problems.append(f"scrolls sideways at {NARROW['width']} px (scrollWidth {width})")
    page.keyboard.press("Tab")
    if not page.evaluate("document.activeElement.classList.contains('skip-link')"):
        problems.append("first Tab does not reach the skip link")
    else:
        page.keyboard.press("Enter")
        if page.evaluate("document.activeElement.id") != "main":
            problems.append("skip link does not move focus to #main")
    try:
        assert_accessible(page, contrast=lang == "en")  # colours: see WITHOUT_CONTRAST in conftest
    except AssertionError as error:
        problems.append(str(error))
    if also_390:
        # Some findings show only at 390 px (a scroll box that fits at 360 but overflows there)
        page.set_viewport_size(PHONE)
        try:
            assert_accessible(page, only=GEOMETRY_RULES)
        except AssertionError as error:
            problems.append(f"at 390 px: {error}")
        finally:
            page.set_viewport_size(NARROW)
    return problems


def _direct_urls(app):
    """(endpoint, url) for every GET route, filled with real values where the demo data has them."""
    from tests.test_route_smoke import PARAM, build, real_values

    snapshot = {t.name: [dict(r._mapping) for r in db.session.execute(t.select())] for t in db.metadata.sorted_tables}
    db.session.remove()
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith(SKIP_PREFIXES) or rule.rule.endswith(SKIP_SUFFIXES):
            continue
        args = [m.group("name") for m in PARAM.finditer(rule.rule)]
        values = real_values(rule, snapshot) or {name: "not-there" for name in args}
        out.append((rule.endpoint, build(rule, values)))
    return out


@pytest.mark.parametrize("role", list(DEMO_ROLES))
def test_crawl_every_reachable_page(role, app, seeded, live_server, page, browser_login, assert_accessible):
    _crawl(role, DEMO_ROLES[role], live_server, page, browser_login, assert_accessible)


# In Spanish too: every demo role with its account set to Spanish (a visitor chooses ?lang=es),
# and the Spanish demo family, familia@example.org.
SPANISH_ROLES = {**DEMO_ROLES, "familia": "familia@example.org"}


@pytest.mark.parametrize("role", list(SPANISH_ROLES))
def test_crawl_every_reachable_page_in_spanish(role, app, seeded, live_server, page, browser_login, assert_accessible):
    from portal.auth.models import User

    email = SPANISH_ROLES[role]
    if email:
        db.session.execute(db.update(User).where(User.email == email).values(locale="es"))
        db.session.commit()
    else:
        page.goto("/?lang=es")
    _crawl(role, email, live_server, page, browser_login, assert_accessible, lang="es")


def _crawl(role, email, live_server, page, browser_login, assert_accessible, lang="en"):
    page.set_viewport_size(NARROW)
    origin = live_server.base_url
    if email:
        browser_login(page, email, DEMO_PASSWORD)
        start = "/dashboard"
    else:
        start = "/"
    queue, seen_urls, checked = deque([start]), {start}, {}
    failures, broken = {}, []
    while queue and len(checked) < MAX_PAGES:
        url = queue.popleft()
        endpoint = _endpoint(live_server, urlsplit(url).path)
        if endpoint is None or endpoint in checked:
            continue
        response = page.goto(url)
        if response is None or response.status >= 400:
            broken.append(f"{url} → {response and response.status}")
            checked[endpoint] = url
            continue
        if urlsplit(page.url).path.startswith("/auth/login") and email:
            broken.append(f"{url} → signed out")
            break
        checked[endpoint] = url
        problems = _check_page(page, assert_accessible, lang, also_390=lang == "en")
        if problems:
            failures[endpoint] = (url, problems)
        for link in _links(page, origin):
            if link not in seen_urls:
                seen_urls.add(link)
                queue.append(link)

    # Routes no link led to (search, verification, history, hostile tokens…): open each with real
    # ids from the demo data; error pages (403/404) are checked once per status code.
    for endpoint, url in _direct_urls(live_server):
        if endpoint in checked or len(checked) >= MAX_PAGES + 25:
            continue
        response = page.goto(url)
        status = response.status if response else 0
        # after a redirect (a visitor sent to sign in) the page shown is the one to name
        key = _endpoint(live_server, urlsplit(page.url).path) if status < 400 else f"error {status}"
        if key in checked or "text/html" not in (response.headers.get("content-type", "") if response else ""):
            continue
        checked[key] = url
        problems = _check_page(page, assert_accessible, lang, also_390=lang == "en")
        if problems:
            failures[key] = (url, problems)

    print(f"\n{role}: {len(checked)} routes checked: {sorted(checked)}")
    assert len(checked) >= (3 if not email else 5), f"crawl reached too little: {checked}"
    assert not broken, f"links to failing pages as {role}: {broken}"
    known = {endpoint for (r, endpoint) in KNOWN if r == role}
    unexpected = {e: v for e, v in failures.items() if e not in known}
    fixed = {e for e in known if e in checked and e not in failures}
    report = "\n\n".join(f"{url} ({e}):\n  " + "\n  ".join(p) for e, (url, p) in unexpected.items())
    assert not unexpected, f"{len(unexpected)} of {len(checked)} pages fail as {role}:\n{report}"
    assert not fixed, f"fixed now, remove from KNOWN: {fixed}"


def _first_client_path():
    from portal.care.models import Client

    client = db.session.scalars(db.select(Client).order_by(Client.id)).first()
    return f"/care/clients/{client.id}"


def _client_with_a_renewed_consent():
    """A client whose consent for one person was revoked and signed again: two cards, one name."""
    import hashlib

    from portal.auth.models import User
    from portal.care.models import Client, Consent
    from portal.clock import utcnow

    client = db.session.scalars(db.select(Client).order_by(Client.id)).first()
    witness = db.session.scalar(db.select(User).filter_by(email=DEMO_ROLES["counselor"]))
    for revoked in (utcnow(), None):
        db.session.add(
            Consent(
                client=client,
                program_id=client.program_id,
                recipient_name="Robin Lee",
                recipient_relationship="sibling",
                recipient_email="robin@example.org",
                purpose="To take part in family sessions",
                text_version="test",
                text_sha256=hashlib.sha256(b"test").hexdigest(),
                signature_name=client.full_name,
                witnessed_by_id=witness.id,
                revoked_at=revoked,
            )
        )
    db.session.commit()
    return f"/care/clients/{client.id}"


def _queue_with_long_messages():
    """The console's queue holding what stretches a phone screen: long words, code, a crisis flag."""
    from portal.auth.models import User
    from portal.rooms.models import Flag, FlagKind, Message, MessageStatus, Room
    from portal.sanitize import chat_to_html

    room = db.session.scalars(db.select(Room).order_by(Room.id)).first()
    author = db.session.scalar(db.select(User).filter_by(email=DEMO_ROLES["family"]))
    bodies = [
        "A very long address https://example.org/" + "a" * 120,
        "`" + "x" * 150 + "`",
        "Held: " + "word" * 60,
    ]
    for i, body in enumerate(bodies):
        status = MessageStatus.HELD if i == 2 else MessageStatus.VISIBLE
        message = Message(
            room=room, author=author, client_id=f"narrow-{i}", body=body, body_html=chat_to_html(body), status=status
        )
        db.session.add(message)
        if i < 2:
            db.session.add(Flag(kind=FlagKind.CRISIS if i else FlagKind.MEMBER, message=message, reason="r" * 300))
    db.session.commit()
    return "/rooms/console"


def _family_after_consent_ended():
    """The demo family member's consents revoked: My family explains what changed."""
    from portal.auth.models import User
    from portal.care.models import FamilyLink
    from portal.clock import utcnow

    user = db.session.scalar(db.select(User).filter_by(email=DEMO_ROLES["family"]))
    for link in db.session.scalars(db.select(FamilyLink).filter_by(user_id=user.id)):
        link.consent.revoked_at = utcnow()
    db.session.commit()
    return "/care/my-family"


def _error_page_after_consent_ended():
    _family_after_consent_ended()
    return "/care/clients/999999"


def _split_series_edit_page():
    """A demo series split by "this and following": its "change all" page offers the chain."""
    from datetime import time

    from portal.auth.models import User
    from portal.calendar.models import SessionSeries
    from portal.calendar.schedule import occurrences_of
    from portal.calendar.services import SeriesDetails, change_following

    counselor = db.session.scalar(db.select(User).filter_by(email=DEMO_ROLES["counselor"]))
    for series in db.session.scalars(db.select(SessionSeries).order_by(SessionSeries.id)):
        occurrences = occurrences_of(series)
        if len(occurrences) >= 3 and counselor in series.counselors:
            details = SeriesDetails(title=series.title, mode="telehealth", join_url="https://video.example.org/x")
            change_following(counselor, series, occurrences[2].original_start, details, time(17, 0))
            return f"/calendar/manage/{series.id}/edit"
    pytest.skip("no repeating demo series")


def _assigned_to_the_demo_family():
    """The demo counselor assigns a lesson and a whole module to the demo family member, with a
    due date and a note: "From your counselor" on the dashboard, a notice in the centre."""
    from datetime import timedelta

    from portal.auth.models import User
    from portal.care.access import consent_today
    from portal.care.models import Client
    from portal.lessons import assignments, picker

    counselor = db.session.scalar(db.select(User).filter_by(email=DEMO_ROLES["counselor"]))
    family = db.session.scalar(db.select(User).filter_by(email=DEMO_ROLES["family"]))
    client = db.session.scalars(db.select(Client).order_by(Client.id)).first()
    known = list(picker.catalogue())
    lesson = next(value for value in known if not value.startswith(picker.MODULE_PREFIX))
    module = next(value for value in known if value.startswith(picker.MODULE_PREFIX))
    due = consent_today() + timedelta(days=7)
    assignments.assign(counselor, client, [family.id], [lesson, module], note="Before Tuesday, if you can.", due_on=due)
    return client


def _dashboard_with_an_assignment():
    _assigned_to_the_demo_family()
    return "/dashboard"


def _notification_centre_with_notices():
    _assigned_to_the_demo_family()
    return "/notifications/"


def _one_notice():
    from portal.notifications.models import Notification

    _assigned_to_the_demo_family()
    notice = db.session.scalars(db.select(Notification).order_by(Notification.id.desc())).first()
    return f"/notifications/{notice.id}"


def _assign_page_with_assignments():
    client = _assigned_to_the_demo_family()
    return f"/lessons/clients/{client.id}/assign"


# Pages (and their states) whose axe findings showed only at a phone width: checked at 390 px too.
NARROW_PAGES = [
    ("moderator", lambda: "/rooms/console"),
    ("counselor", _first_client_path),
    ("admin", _first_client_path),
    ("moderator", _queue_with_long_messages),
    ("counselor", _client_with_a_renewed_consent),
    ("family", _family_after_consent_ended),
    ("family", _error_page_after_consent_ended),
    ("anonymous", lambda: "/no-such-page"),
    ("counselor", lambda: "/calendar/manage/new"),
    ("family", lambda: "/calendar/week"),
    ("family", lambda: "/welcome"),
    ("counselor", _split_series_edit_page),
    ("family", _dashboard_with_an_assignment),
    ("family", _notification_centre_with_notices),
    ("family", _one_notice),
    ("family", lambda: "/notifications/preferences"),
    ("counselor", _assign_page_with_assignments),
]


@pytest.mark.parametrize(("role", "path"), NARROW_PAGES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(NARROW_PAGES)])
def test_narrow_pages_pass_axe_at_390px(role, path, app, seeded, live_server, page, browser_login, assert_accessible):
    url = path()
    page.set_viewport_size(PHONE)
    if DEMO_ROLES[role]:
        browser_login(page, DEMO_ROLES[role], DEMO_PASSWORD)
    response = page.goto(url)
    assert response.status < 500, f"{url} → {response.status}"
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{url} scrolls sideways at {PHONE['width']} px (scrollWidth {width})"
    gap = page.evaluate(
        """() => { const blocks = [...document.querySelectorAll('main > *')].filter(e => e.offsetHeight);
                   const last = blocks[blocks.length - 1];
                   return document.querySelector('.site-footer').getBoundingClientRect().top
                          - last.getBoundingClientRect().bottom; }"""
    )
    assert gap >= 24, f"{url}: the last block sits {gap}px from the footer"
    assert_accessible(page)


def test_try_this_week_pages_pass_the_crawl_checks(app, seeded, live_server, page, browser_login, assert_accessible):
    """The "Try this week" pages the crawl cannot reach from demo data (the demo has no
    commitments): each state gets the crawl's full check, as the family member and as the
    counselor they share with."""
    import sqlalchemy as sa

    from portal.auth.models import User
    from portal.lessons import practice, services
    from portal.lessons.models import Lesson, Outcome

    page.set_viewport_size(NARROW)
    family = db.session.scalar(sa.select(User).filter_by(email=DEMO_ROLES["family"]))
    lessons = db.session.scalars(sa.select(Lesson).where(Lesson.practice_text != "").order_by(Lesson.id).limit(4)).all()
    made = [practice.commit(family, lesson) for lesson in lessons]
    for commitment, outcome in zip(made[1:], (Outcome.TRIED, Outcome.NOT_YET, Outcome.WENT_BADLY), strict=True):
        practice.record_outcome(family, commitment, outcome)
    practice.save_note(family, made[3], "It did not go as planned. **Can we talk?**", share=True)
    services.set_sharing(family, True)
    client_id = seeded["clients"][0]["id"]
    urls = [made[0].id, made[1].id, made[2].id, made[3].id]

    failures = {}

    def check(name):
        problems = _check_page(page, assert_accessible)
        if problems:
            failures[name] = (page.url, problems)

    browser_login(page, DEMO_ROLES["family"], DEMO_PASSWORD)
    assert "How did it go?" in page.inner_text("main")
    check("dashboard asking how it went")
    page.goto(f"/lessons/read/{lessons[0].slug}")
    assert "Take it back" in page.inner_text("#try-this-week")
    check("lesson page with an open commitment")
    page.goto(f"/lessons/read/{lessons[1].slug}")
    check("lesson page offering a practice")
    page.goto(f"/lessons/practice/{urls[0]}")
    check("practice page, open")
    with page.expect_navigation() as sent:
        page.click("text=Tell us how it went")
    assert sent.value.status == 422
    check("practice page, no answer chosen (422)")
    for commitment_id, state in zip(urls[1:], ("tried", "not_yet", "went_badly"), strict=True):
        page.goto(f"/lessons/practice/{commitment_id}")
        check(f"practice page, {state}")
    page.click("header button:has-text('Sign out')")
    page.wait_for_url("**/")

    browser_login(page, DEMO_ROLES["counselor"], DEMO_PASSWORD)
    page.goto(f"/lessons/clients/{client_id}/family-progress")
    assert "Can we talk?" in page.inner_text("main")
    check("family progress with practice, as the counselor")
    report = "\n\n".join(f"{name} ({url}):\n  " + "\n  ".join(p) for name, (url, p) in failures.items())
    assert not failures, report


def test_room_with_unread_messages_passes_the_page_checks(
    app, seeded, live_server, page, browser_login, assert_accessible
):
    """The state no crawl reaches by itself: a room with messages the reader has not seen yet
    (the "New messages" heading on the first unread one, which the client scrolls to)."""
    import sqlalchemy as sa

    from portal.auth.models import User
    from portal.rooms.models import ReadMarker, Room
    from portal.rooms.services import post_message

    room = db.session.scalar(sa.select(Room).filter_by(slug="welcome"))
    reader = db.session.scalar(sa.select(User).filter_by(email=DEMO_ROLES["family"]))
    writer = db.session.scalar(sa.select(User).filter_by(email=DEMO_ROLES["moderator"]))
    seen = post_message(writer, room, "Read already", "11111111-1111-4111-8111-111111111111", lambda _id: 0).message
    db.session.merge(ReadMarker(user_id=reader.id, room_id=room.id, last_read_id=seen.id))
    db.session.commit()
    for n in range(12):
        post_message(writer, room, f"Not read yet {n}", f"22222222-2222-4222-8222-{n:012d}", lambda _id: 0)
    page.set_viewport_size(NARROW)
    browser_login(page, DEMO_ROLES["family"], DEMO_PASSWORD)
    page.goto("/rooms/welcome")
    heading = page.locator("#messages li.msg-first-unread h2.unread-heading")
    heading.wait_for()
    assert page.locator("#messages > :not(li)").count() == 0
    assert page.locator("li.msg-first-unread").inner_text().count("Not read yet 0") == 1
    page.locator("#online li").first.wait_for()  # live: the client has scrolled
    assert page.evaluate(
        "(() => { const list = document.getElementById('messages');"
        " const li = list.querySelector('li.msg-first-unread');"
        " const top = li.getBoundingClientRect().top - list.getBoundingClientRect().top;"
        " return top >= 0 && top < list.clientHeight; })()"
    ), "the first unread message is not scrolled into view"
    assert not _check_page(page, assert_accessible)


def test_the_check_itself_reports_a_violation_and_contrast_only_when_asked(app, live_server, page, assert_accessible):
    """The axe check can fail: an unnamed button and a grey-on-white paragraph added to a page
    that passes are reported (the contrast only with contrast=True), from the same loaded axe."""
    page.goto("/")
    assert_accessible(page)
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<p class=muted-probe>faint</p>');"
        "document.querySelector('.muted-probe').style.color = '#ddd'"
    )
    assert_accessible(page, contrast=False)
    with pytest.raises(AssertionError, match="color-contrast"):
        assert_accessible(page)
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<button></button>')")
    with pytest.raises(AssertionError, match="button-name"):
        assert_accessible(page, contrast=False)


def test_the_width_check_reports_a_box_that_scrolls_and_cannot_be_reached(app, live_server, page, assert_accessible):
    """The rules the crawl runs again at 390 px can fail: a box whose text overflows it, with
    nothing in it to focus, is a violation; the same box with room for its text is not."""
    page.goto("/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<div class=scroll-probe><p>one</p><p>two</p><p>three</p></div>');"
        "Object.assign(document.querySelector('.scroll-probe').style, {overflow: 'auto', height: '1rem'})"
    )
    with pytest.raises(AssertionError, match="scrollable-region-focusable"):
        assert_accessible(page, only=GEOMETRY_RULES)
    page.evaluate("document.querySelector('.scroll-probe').style.height = 'auto'")
    assert_accessible(page, only=GEOMETRY_RULES)


# `@media (max-width: 40rem)` and the like: the widths at which the stylesheets change the layout.
STYLESHEETS = Path(__file__).resolve().parents[2] / "static" / "css"
BREAKPOINT = re.compile(r"\((?:min|max)-width:\s*([\d.]+)(rem|em|px)\s*\)")


def test_no_stylesheet_breakpoint_lies_between_the_two_phone_widths():
    """Why the crawl runs only GEOMETRY_RULES at 390 px: between 360 and 390 px the stylesheets
    change nothing, so a page differs only in sizes and overflow. A breakpoint added in that
    range would make the two widths different layouts, each needing every rule."""
    found = []
    for sheet in sorted(STYLESHEETS.glob("*.css")):
        for value, unit in BREAKPOINT.findall(sheet.read_text()):
            found.append((sheet.name, float(value) * (1 if unit == "px" else 16)))
    assert found, "no breakpoint found: the pattern no longer matches the stylesheets"
    low, high = NARROW["width"], PHONE["width"]
    inside = [(name, px) for name, px in found if low <= px <= high]
    assert not inside, f"breakpoints between {low} and {high} px: {inside}; run every rule at {high} px in _check_page"
