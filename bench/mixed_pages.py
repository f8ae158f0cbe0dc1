"""What the mixed-load users read from the portal's pages (bench/mixed_load.py): the links and
form values a person would click. Pure, so that tests/test_bench_mixed.py checks them against
the pages the portal really renders (a changed template must not silently stop the load)."""

import re

STATIC_FILES = "static file"  # the name Locust's statistics give every static file a person fetches
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
QUESTION = re.compile(r'name="question_id" value="(\d+)"')
SESSION_LINK = re.compile(r'href="/calendar/session/(\d+)/([^"/?#.]+)"')
MANAGE_LINK = re.compile(r'href="/calendar/manage/(\d+)/([^"/?#]+)"')
FLAG_DISMISS = re.compile(r'action="/rooms/console/flags/(\d+)/dismiss"')
MEMBER = re.compile(r'<input[^>]*name="members"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')
ITEM = re.compile(r'<option data-kind="lesson"[^>]*value="([^"]+)"')
STATIC = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def static_files(html):
    """The static files a page names (stylesheets, scripts, icons), each once, in order."""
    return list(dict.fromkeys(STATIC.findall(html or "")))


def csrf_token(html):
    match = CSRF.search(html or "")
    return match.group(1) if match else None


def question_id(html):
    """The first knowledge-check question on a lesson page, or None."""
    match = QUESTION.search(html or "")
    return match.group(1) if match else None


def session_path(html):
    """The first family session linked from the agenda, as /calendar/session/<series>/<key>."""
    match = SESSION_LINK.search(html or "")
    return f"/calendar/session/{match.group(1)}/{match.group(2)}" if match else None


def managed_sessions(html):
    """The sessions a counselor's series page links to, as /calendar/manage/<series>/<key>."""
    return [f"/calendar/manage/{s}/{k}" for s, k in MANAGE_LINK.findall(html or "")]


def open_flags(html):
    """The ids of the flags the moderation console offers to dismiss."""
    return FLAG_DISMISS.findall(html or "")


def assign_choices(html):
    """(family member ids, lesson item values) of the counselor's assignment form."""
    members = [VALUE.search(tag).group(1) for tag in MEMBER.findall(html or "") if VALUE.search(tag)]
    return members, ITEM.findall(html or "")


CHOICE = re.compile(r'name="choice" value="(\d+)"')
RSVP = re.compile(r'name="response"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="response"')


def answer_form(html, pick=0):
    """The knowledge check's form: the first question and one of its choices (None: no check)."""
    question, choices = question_id(html), CHOICE.findall(html or "")
    if question is None or not choices:
        return None
    return {"question_id": question, "choice": choices[pick % len(choices)]}


def rsvp_form(html, pick=0):
    """A reply to a session's invitation, one of the answers the page offers (None: no form)."""
    answers = [a or b for a, b in RSVP.findall(html or "")]
    return {"response": answers[pick % len(answers)]} if answers else None


def change_form(n):
    """A counselor's change to one session: a new video link (its families are told)."""
    return {"join_url": f"https://meet.example.org/bench-{n % 5}"}


def assign_form(html, pick=0):
    """An assignment of one lesson to up to two of the client's family members (None: no form)."""
    members, items = assign_choices(html)
    if not (members and items):
        return None
    return {"members": members[:2], "items": items[pick % len(items)]}
