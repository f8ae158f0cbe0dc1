"""One answer for a form with field errors, in every feature: 422 Unprocessable Content, the page
again with the error next to its field, and nothing stored (docs/architecture.md, guarantees: bad
input never causes a 500).

A malformed request (no CSRF token, NUL bytes, bad UTF-8) is a 400 instead; test_route_smoke
covers those. Every view that shows a form page (GET and POST on one route) must appear in CASES
or in NOT_FIELD_FORMS, so a new form view cannot skip this walk.
"""

import pytest

from tests.test_route_smoke import _login, _state, build, real_values

TOO_LONG = "x" * 10_000
REQUIRED = "This field is required."

# (role, method, endpoint, data, field whose error is shown, text of the error)
CASES = [
    # auth
    ("anonymous", "POST", "auth.login", {"email": "", "password": "x"}, "email", REQUIRED),
    ("anonymous", "POST", "auth.signup", {"email": "not an email", "display_name": ""}, "email", "Invalid email"),
    ("anonymous", "POST", "auth.reset_request", {"email": ""}, "email", REQUIRED),
    ("family", "POST", "auth.account", {"display_name": "", "timezone": "Mars/Olympus"}, "display_name", REQUIRED),
    ("family", "POST", "auth.change_password", {"current_password": ""}, "current_password", REQUIRED),
    ("family", "POST", "auth.change_email", {"email": "nope", "password": ""}, "password", REQUIRED),
    ("family", "POST", "auth.reauthenticate", {"password": ""}, "password", REQUIRED),
    ("admin", "POST", "auth.mfa_setup", {"code": ""}, "code", REQUIRED),
    # admin
    ("admin", "GET", "admin.users", {"q": TOO_LONG}, "q", "100"),
    ("admin", "GET", "admin.audit_log", {"start": "not-a-date"}, "start", "Not a valid date value."),
    ("admin", "POST", "admin.set_roles", {"roles": "emperor"}, "roles", "Unknown role."),
    # care
    ("admin", "POST", "care.edit_program", {"name": "", "timezone": "America/New_York"}, "name", REQUIRED),
    ("admin", "POST", "care.edit_client", {"full_name": "", "enrollment_start": ""}, "full_name", REQUIRED),
    ("admin", "POST", "care.end_enrollment", {"status": "completed", "ended_on": ""}, "ended_on", REQUIRED),
    ("admin", "POST", "care.new_consent", {"recipient_name": ""}, "recipient_name", REQUIRED),
    ("admin", "POST", "care.sign_consent", {"recipient_name": ""}, "recipient_name", REQUIRED),
    ("admin", "POST", "care.revoke_consent", {"requested_by": "", "requested_on": ""}, "requested_by", REQUIRED),
    # lessons
    ("counselor", "POST", "lessons.edit_module", {"title": "", "slug": "Bad Slug!"}, "title", REQUIRED),
    ("counselor", "POST", "lessons.edit_lesson", {"title": "", "minutes": "0"}, "title", REQUIRED),
    ("counselor", "POST", "lessons.questions", {"prompt": "", "choices": "only one"}, "prompt", REQUIRED),
    ("family", "POST", "lessons.save_reflection", {"body": TOO_LONG + TOO_LONG}, "body", "10,000"),
    ("counselor", "POST", "lessons.assign", {"items": "no-such-lesson"}, "items", "not a published lesson"),
    ("family", "GET", "lessons.search", {"q": TOO_LONG}, "q", "200"),
    # (lessons.verify, the public certificate check, answers every code alike with 200 on purpose:
    # tests/lessons/test_certificates.py)
    # calendar
    ("counselor", "POST", "calendar.new_series", {"title": "", "save": "y"}, "title", REQUIRED),
    ("counselor", "POST", "calendar.edit_all", {"title": "", "save": "y"}, "title", REQUIRED),
    ("counselor", "POST", "calendar.edit_following", {"title": "", "save": "y"}, "title", REQUIRED),
    ("counselor", "POST", "calendar.change_occurrence", {"join_url": "http://plain.example"}, "join_url", "https://"),
    ("counselor", "POST", "calendar.cancel_occurrence", {"reason": ""}, "reason", REQUIRED),
    # rooms
    ("family", "POST", "rooms.accept_guidelines", {}, "agree", REQUIRED),
    ("family", "POST", "rooms.post_message", {"body": "y" * 2001}, "composer", "up to 2,000 characters"),
    ("moderator", "POST", "rooms.words", {"phrase": "", "action": "block"}, "phrase", REQUIRED),
    ("moderator", "POST", "rooms.room_list", {"slug": "Not A Slug", "name": ""}, "name", REQUIRED),
    ("moderator", "POST", "rooms.room_settings", {"name": "", "slow_mode_seconds": "-5"}, "name", REQUIRED),
    ("moderator", "POST", "rooms.on_call", {"email": "", "program_id": "0"}, "email", REQUIRED),
    ("moderator", "POST", "rooms.checkin_start", {"body": ""}, "body", REQUIRED),
    # notifications
    ("family", "POST", "notifications.preferences", {"topic_sessions": "<script>"}, "topic_sessions", "Not a valid"),
]

# Views with GET and POST whose form has no fields to get wrong (a button, or a code sent by email).
NOT_FIELD_FORMS = {
    "auth.verify": "a confirmation button behind an emailed token",
    "auth.confirm_email_change": "a confirmation button behind an emailed token",
    "auth.reset_password": "behind an emailed token; its 422 is tested in tests/auth",
    "auth.mfa_challenge": "needs a half-signed-in session; its 422 is tested in tests/auth",
    "care.invitation": "an accept button behind an invitation token",
    "auth.staff_invitation": "behind an emailed token; its 422 is tested in tests/admin/test_staff_invitations.py",
    "rooms.appeal": "needs a sanction of one's own; its 422 is tested in tests/rooms/test_bans_appeals.py",
    "rooms.checkin": "needs a check-in thread; its 422 is tested in tests/rooms/test_checkins.py",
}


# Tables that showing the page again touches on its own (not the form's data).
RENDER_SIDE_EFFECTS = {"lessons.save_reflection": ("lesson_progress",)}  # the lesson page records a visit


def _ids():
    return [f"{role}-{endpoint}" for role, _m, endpoint, *_ in CASES]


@pytest.mark.parametrize(("role", "method", "endpoint", "data", "field", "text"), CASES, ids=_ids())
def test_a_form_with_field_errors_is_422_shows_the_error_and_stores_nothing(
    app, client, auth, request, role, method, endpoint, data, field, text
):
    demo = request.getfixturevalue("seeded")  # the demo data of test_route_smoke
    _login(auth, role)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods]
    rule = min(rules, key=lambda r: len(r.arguments))  # "new" rather than "edit <id>"
    values = real_values(rule, demo)
    assert values is not None, f"no demo data for {rule.rule}"
    url = build(rule, values)
    before = _state()
    if method == "GET":
        response = client.get(url, query_string=data)
    else:
        response = client.post(url, data={**data, "csrf_token": auth.csrf("/")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422, f"{method} {url} as {role}: {response.status_code}"
    assert f'id="{field}-error"' in page, f"no error shown for {field}"
    assert text in page
    after = _state()
    for table in RENDER_SIDE_EFFECTS.get(endpoint, ()):
        before.pop(table), after.pop(table)
    assert after == before, f"{method} {url} changed stored data"


def test_every_form_view_is_walked(app):
    covered = {endpoint for _r, _m, endpoint, *_ in CASES}
    form_views = {
        r.endpoint for r in app.url_map.iter_rules() if {"GET", "POST"} <= r.methods and r.endpoint != "auth.logout"
    }
    missing = form_views - covered - set(NOT_FIELD_FORMS)
    assert not missing, f"form views without a field-error case: {sorted(missing)}"
