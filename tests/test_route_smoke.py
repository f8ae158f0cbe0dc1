"""Every route, every role, real and hostile input: never a 5xx, never a stack trace.

Routes are enumerated from app.url_map, so a new route is covered without touching this file.
URL parameters are filled with real ids/slugs/tokens from the demo data and with hostile values.
Known failures in features still being built are listed in KNOWN_FAILURES (strict xfail), each
with its reason.
"""

import re
from datetime import UTC
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from tests.factories import DEMO_PASSWORD, DEMO_ROLES

PARAM = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>[a-z_]+)>")
HOSTILE = [
    "0",
    "-1",
    "99999999999999999999",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1--",
    "%00",
    "\x00",
    "é\u202e",
    "x" * 5000,
]
HOSTILE_QUERY = {
    "q": "' OR 1=1-- <script>alert(1)</script>",
    "page": "-99999999999999999999",
    "next": "//evil.example/",
    "month": "2026-13",
    "module": "../../etc/passwd",
    "code": "x" * 3000,
    "role": "emperor",
    "action": "%00",
    "since": "not-a-date",
    "until": "9999-99-99",
    "user": "-1",
    "status": "\x00",
}
SKIP_RULES = {"/auth/logout"}  # POST only; GET gives 405, covered by POST tests
# GET endpoints an anonymous visitor may open (sign-in flows, public pages, token links).
PUBLIC_ENDPOINTS = {
    "static",
    "main.home",
    "main.healthz",
    "auth.login",
    "auth.signup",
    "auth.reset_request",
    "auth.reset_password",
    "auth.verify",
    "auth.confirm_email_change",
    "auth.staff_invitation",
    "care.invitation",
    "calendar.feed",
    "lessons.verify",
    # the usual guesses (/login, /register…) redirect to the real pages; /logout shows a button
    "main.logout_page",
    *(
        f"main.guess_{name}"
        for name in ("login", "signin", "sign_in", "register", "signup", "sign_up", "signout", "sign_out")
    ),
}
# (method, role, endpoint) → reason; each is a strict xfail (the reason says what fails and why).
KNOWN_FAILURES: dict[tuple[str, str, str], str] = {}


def _first(snapshot, table, **match):
    for row in snapshot.get(table, []):
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def _user_id(snapshot, email):
    return _first(snapshot, "users", email=email)["id"]


def real_values(rule, snapshot):
    """One set of real argument values for the rule, or None when the demo data has none."""
    args = {m.group("name") for m in PARAM.finditer(rule.rule)}
    values = {}
    ep = rule.endpoint
    simple = {
        "client_id": "clients",
        "consent_id": "consents",
        "invitation_id": "care_invitations",
        "link_id": "family_links",
        "program_id": "programs",
        "module_id": "lesson_modules",
        "flag_id": "room_flags",
        "message_id": "room_messages",
        "word_id": "room_watched_words",
        "notice_id": "room_notices",
    }
    for name in args:
        if name in simple:
            row = _first(snapshot, simple[name])
            if row is None:
                return None
            values[name] = row["id"]
    if "user_id" in args:
        values["user_id"] = _user_id(snapshot, "family@example.org")
    if "question_id" in args or "revision_id" in args:
        table = "lesson_questions" if "question_id" in args else "lesson_revisions"
        row = _first(snapshot, table)
        if row is None:
            return None
        values["question_id" if "question_id" in args else "revision_id"] = row["id"]
        values["lesson_id"] = row["lesson_id"]
    elif "lesson_id" in args:
        values["lesson_id"] = _first(snapshot, "lessons")["id"]
    if "series_id" in args:
        row = _first(snapshot, "session_series")
        if row is None:
            return None
        values["series_id"] = row["id"]
        if "key" in args:
            from portal.calendar.recurrence import occurrence_key

            start = row["start_local"].replace(tzinfo=ZoneInfo(row["timezone"])).astimezone(UTC)
            values["key"] = occurrence_key(start)
    if "slug" in args:
        table = {"lessons.module": "lesson_modules", "lessons.lesson": "lessons"}.get(ep)
        table = table or ("lessons" if ep.startswith("lessons.") else "rooms")
        row = _first(snapshot, table)
        if row is None:
            return None
        values["slug"] = row["slug"]
    if "code" in args:
        row = _first(snapshot, "lesson_certificates")
        if row is None:
            return None
        values["code"] = row["code"]
    if "filename" in args:
        values["filename"] = "css/portal.css"
    if "token" in args:
        if ep != "calendar.feed":
            return None
        from portal.calendar.feeds import _derive

        row = _first(snapshot, "calendar_feed_tokens")
        if row is None:
            return None
        values["token"] = _derive(row["user_id"], row["nonce"])
    return values if set(values) >= args else None


def build(rule, values, raw=None):
    def sub(match):
        if raw and match.group("name") in raw:
            return raw[match.group("name")]
        value = str(values[match.group("name")])
        return value if match.group("converter") == "path" else quote(value, safe="")

    return PARAM.sub(sub, rule.rule)


def urls_for(rule, snapshot):
    """(label, url) pairs: the real one, each argument in turn made hostile, a hostile query."""
    args = [m.group("name") for m in PARAM.finditer(rule.rule)]
    real = real_values(rule, snapshot)
    base = real or {name: "1" for name in args}
    out = []
    if real is not None:
        out.append(("real", build(rule, real)))
    for name in args:
        for value in HOSTILE:
            url = build(rule, {**base, name: value})
            if value == "%00":
                url = build(rule, base, raw={name: "%00"})  # a literal %00 in the path, not %2500
            out.append((f"{name}={value[:20]!r}", url))
    out.append(
        ("query", build(rule, base) + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in HOSTILE_QUERY.items()))
    )
    return out


def _rules(method):
    app = create_app("testing")
    rules = [r for r in app.url_map.iter_rules() if method in r.methods and r.rule not in SKIP_RULES]
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def _params(method, roles=tuple(DEMO_ROLES)):
    params = []
    for rule in _rules(method):
        for role in roles:
            reason = KNOWN_FAILURES.get((method, role, rule.endpoint))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(
                pytest.param(role, rule.rule, rule.endpoint, id=f"{role}-{rule.endpoint}-{rule.rule}", marks=marks)
            )
    return params


def _rule(app, path, endpoint):
    return next(r for r in app.url_map.iter_rules() if r.rule == path and r.endpoint == endpoint)


def _login(auth, role):
    if DEMO_ROLES[role]:
        response = auth.login(DEMO_ROLES[role], DEMO_PASSWORD)
        assert response.status_code in (302, 303), f"demo login failed for {role}"
        assert "/dashboard" in response.headers["Location"]


def _check(response, url, role, endpoint):
    body = response.get_data()
    where = f"{response.request.method} {url[:200]!r} as {role} → {response.status_code}"
    assert response.status_code < 500, where
    assert b"Traceback" not in body, where
    if role != "anonymous" and endpoint != "static":
        assert response.headers.get("Cache-Control", "").startswith("no-store"), f"no Cache-Control: no-store: {where}"
    if response.mimetype == "text/html":
        assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", ""), f"no CSP: {where}"


# --- GET: every route, every role -----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("role", "path", "endpoint"), _params("GET"))
def test_get_never_fails(app, client, auth, seeded, role, path, endpoint):
    _login(auth, role)
    rule = _rule(app, path, endpoint)
    for label, url in urls_for(rule, seeded):
        response = client.get(url)
        _check(response, url, role, endpoint)
        if role == "anonymous" and endpoint not in PUBLIC_ENDPOINTS:
            assert response.status_code in (302, 303, 400, 401, 403, 404, 405, 429), (
                f"anonymous saw {url[:200]!r} ({label})"
            )
            if response.status_code in (302, 303):
                assert "/auth/login" in response.headers["Location"], (
                    f"anonymous {url[:200]!r} → {response.headers['Location']}"
                )


def test_ids_beyond_a_database_integer_are_404(client, auth, seeded):
    """IdConverter: an id no database column can hold never reaches a query (was a 500)."""
    _login(auth, "admin")
    assert client.get("/admin/users/99999999999999999999").status_code == 404
    assert client.get(f"/admin/users/{2**31}").status_code == 404
    assert client.get(f"/admin/users/{_user_id(seeded, 'family@example.org')}").status_code == 200


def test_nul_characters_are_refused_before_any_view(client, auth, seeded):
    """PostgreSQL cannot compare or store NUL: /lessons/read/%00 was a 500 there."""
    _login(auth, "admin")
    for url in ("/lessons/read/%00", "/rooms/%00", "/lessons/search?q=a%00b", "/admin/users?q=%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "NUL" in response.get_data(as_text=True)
    response = auth.post("/auth/account", data={"display_name": "Avery\x00"})
    assert response.status_code == 400
    assert db.session.scalar(sa.text("SELECT count(*) FROM users WHERE display_name LIKE 'Avery%'")) == 1
    assert client.get("/lessons/search?q=trust").status_code == 200


def test_a_value_the_database_refuses_is_a_400(app, client):
    from sqlalchemy.exc import DataError

    def refuse():
        raise DataError("SELECT 1", {}, ValueError("value too long"))

    app.add_url_rule("/__data_error", "data_error", refuse)
    response = client.get("/__data_error")
    assert response.status_code == 400
    assert b"Traceback" not in response.data


def test_every_feature_route_is_enumerated(app):
    """The enumeration really covers the features (guards against an empty url_map walk)."""
    endpoints = {r.endpoint.split(".")[0] for r in _rules("GET")}
    assert {"auth", "admin", "care", "lessons", "rooms", "calendar", "main"} <= endpoints


# --- POST: no CSRF token → 400 and nothing changes; garbage with a token → 4xx or a form ----------


def _state():
    """A fingerprint of every table except the session records a request may touch."""
    skip = {"session_records", "audit_events", "audit_log"}
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        out[table.name] = sorted(repr(tuple(r)) for r in db.session.execute(table.select()))
    db.session.remove()
    return out


GARBAGE_FORMS = [
    {},
    {"title": "", "body": "", "name": "", "email": "", "q": ""},
    "long",
    "bytes",
    "hostile",
]


def _garbage(kind, token, field_names):
    names = field_names or ["title", "body", "name", "email", "password", "text", "reason"]
    if kind == "long":
        return {**{n: "x" * 10_000 for n in names}, "csrf_token": token}
    if kind == "bytes":
        return f"csrf_token={quote(token)}&".encode() + b"&".join(
            n.encode() + b"=\xff\xfe\xc3\x28%FF"
            for n in names  # not UTF-8 (NUL has a test of its own)
        )
    if kind == "hostile":
        return {
            **{n: "<script>alert(1)</script>' OR 1=1-- é\u202e" for n in names},  # no NUL: reach the form
            "roles": "emperor",
            "role": "emperor",
            "action": "../../etc/passwd",
            "user_id": "-1",
            "csrf_token": token,
        }
    return {**kind, "csrf_token": token}


FIELD_NAME = re.compile(r'name="([a-zA-Z_][a-zA-Z0-9_-]*)"')


@pytest.mark.slow
@pytest.mark.parametrize(("role", "path", "endpoint"), _params("POST", roles=("anonymous", "family", "admin")))
def test_post_without_csrf_is_refused(app, client, auth, seeded, role, path, endpoint):
    _login(auth, role)
    rule = _rule(app, path, endpoint)
    url = build(rule, real_values(rule, seeded) or {m.group("name"): "1" for m in PARAM.finditer(rule.rule)})
    before = _state()
    for data in ({}, {"title": "x", "body": "y"}, {"csrf_token": "forged"}):
        response = client.post(url, data=data)
        _check(response, url, role, endpoint)
        assert response.status_code == 400, f"POST {url} without a valid CSRF token as {role}: {response.status_code}"
    assert _state() == before, f"POST {url} without CSRF changed data"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("role", "path", "endpoint"), _params("POST", roles=tuple(r for r in DEMO_ROLES if r != "anonymous"))
)
def test_post_garbage_never_fails(app, client, auth, seeded, role, path, endpoint):
    _login(auth, role)
    rule = _rule(app, path, endpoint)
    real = real_values(rule, seeded)
    url = build(rule, real or {m.group("name"): "1" for m in PARAM.finditer(rule.rule)})
    names, token = [], None
    if "GET" in rule.methods:
        page = client.get(url)
        _check(page, url, role, endpoint)
        names = sorted(set(FIELD_NAME.findall(page.get_data(as_text=True))) - {"csrf_token", "viewport", "csrf-token"})
        token = auth.token_in(page)  # the form's own page gives the token, as in a browser
    token = token or auth.csrf("/")
    for kind in GARBAGE_FORMS:
        data = _garbage(kind, token, names)
        if isinstance(data, bytes):
            response = client.post(url, data=data, content_type="application/x-www-form-urlencoded")
        else:
            response = client.post(url, data=data)
        _check(response, url, role, endpoint)
        assert response.status_code < 500
        if endpoint == "auth.logout":
            _login(auth, role)
            token = auth.csrf("/")
