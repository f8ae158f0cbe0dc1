"""The accounting of disclosures a client can be given: plain language, grouped, filtered, exported."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.audit import AuditEvent
from portal.care import access
from portal.care.accounting import Period, build_accounting, default_period
from portal.care.accounting_export import safe_cell
from portal.extensions import db
from portal.security import Role
from tests.care.conftest import sign
from tests.factories import link_family, make_client, make_user


def disclose(link, what, at):
    """One disclosure in the audit log at a chosen time (record() always stamps now)."""
    event = access.record_disclosure(link.user, link, what)
    event.at = at
    db.session.commit()


def produced():
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "accounting.produced")).all()


@pytest.fixture
def linked(sam, family, counselor):
    return link_family(family, sam, witness=counselor)


# 15:00 UTC is 10:00 or 11:00 in New York: the same day in the program's zone.
def day_at(days_ago, hour=15):
    noon = datetime.combine(date.today() - timedelta(days=days_ago), datetime.min.time(), UTC)
    return noon + timedelta(hours=hour)


def test_disclosures_are_grouped_by_person_and_day_with_counts_and_plain_labels(client, auth, counselor, sam, linked):
    for _ in range(3):
        disclose(linked, "calendar_dashboard", day_at(2))
    disclose(linked, "calendar_feed", day_at(2))
    disclose(linked, "calendar_feed", day_at(1))
    auth.login(counselor.email)
    page = client.get(f"/care/clients/{sam.id}/disclosures").get_data(as_text=True)
    assert "disclosure." not in page  # no raw event codes
    assert "<h3>Jordan (parent)</h3>" in page
    rows = [r for r in page.split("<tr>") if "Saw the family-session calendar on their home page" in r]
    assert len(rows) == 1 and '<td data-label="Times">3</td>' in rows[0]
    assert page.count("Subscribed calendar feed was read") == 2  # two days, one row each
    assert "Please keep this private" in page  # the Part 2 notice


def test_every_consent_change_is_listed_with_who_did_it(client, auth, counselor, sam):
    auth.login(counselor.email)
    sign(auth, sam.id)
    from portal.care.models import Consent

    consent = db.session.scalar(sa.select(Consent))
    auth.post(
        f"/care/consents/{consent.id}/revoke",
        data={"requested_by": "Sam Rivera", "method": "in_person", "requested_on": access.consent_today().isoformat()},
    )
    page = client.get(f"/care/clients/{sam.id}/disclosures").get_data(as_text=True)
    changes = page.split("Consent changes</h2>", 1)[1]
    assert "Consent signed" in changes and "Consent revoked (in person)" in changes
    assert "Casey" in changes and "Consent to Jordan (parent)" in changes
    assert "consent.signed" not in page and "accounting.produced" not in page


def test_the_period_filters_what_is_shown(client, auth, counselor, sam, linked):
    disclose(linked, "my_family", day_at(5))
    disclose(linked, "calendar_session", day_at(1))
    auth.login(counselor.email)
    start = end = (date.today() - timedelta(days=5)).isoformat()
    page = client.get(f"/care/clients/{sam.id}/disclosures?start={start}&end={end}").get_data(as_text=True)
    assert "Saw the My family page" in page and "Opened the page of a family session" not in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=yesterday&end=2026-01-01", "start", "Not a valid date value."),
        ("start=2026-01-02&end=2026-01-01", "end", "The last day must be on or after the first day."),
        ("start=0001-01-01&end=2026-01-01", "start", "Enter a date between the years 1900 and 9998."),
        ("start=2026-01-01", "end", "This field is required."),
    ],
)
@pytest.mark.parametrize("suffix", ["", ".pdf", ".csv"])
def test_a_bad_period_is_422_with_the_error_by_its_field(client, auth, counselor, sam, query, field, message, suffix):
    auth.login(counselor.email)
    response = client.get(f"/care/clients/{sam.id}/disclosures{suffix}?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert f'<p class="error" id="{field}-error">' in page and message in page
    assert produced() == []  # nothing produced, nothing audited


def test_default_period_is_three_years_or_since_enrollment(app, sam):
    today = date(2026, 11, 30)
    sam.enrollment_start = date(2026, 9, 1)
    sam.created_at = datetime(2026, 8, 20, 15, tzinfo=UTC)
    assert default_period(sam, today) == Period(date(2026, 8, 20), today)
    sam.enrollment_start, sam.created_at = date(2020, 1, 1), datetime(2020, 1, 1, tzinfo=UTC)
    assert default_period(sam, today) == Period(date(2023, 11, 30), today)
    assert default_period(sam, date(2028, 2, 29)).start == date(2025, 2, 28)


def test_days_are_counted_in_the_programs_time_zone(app, sam, linked):
    # 03:00 UTC on the 2nd is still the evening of the 1st in New York.
    disclose(linked, "calendar_agenda", datetime(2026, 3, 2, 3, tzinfo=UTC))
    disclose(linked, "calendar_agenda", datetime(2026, 3, 1, 15, tzinfo=UTC))
    with app.test_request_context():
        report = build_accounting(sam, Period(date(2026, 3, 1), date(2026, 3, 1)))
    assert [(r.day, r.count) for r in report.people[0].rows] == [(date(2026, 3, 1), 2)]


def test_csv_has_a_header_row_and_defuses_formulas(client, auth, counselor, sam):
    family = make_user(email="eve@example.org", display_name="=HYPERLINK(1)")
    link = link_family(family, sam, witness=counselor)
    disclose(link, "calendar_month", day_at(1))
    auth.login(counselor.email)
    response = client.get(f"/care/clients/{sam.id}/disclosures.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["Kind", "Person", "Date", "What", "Times", "Done by", "Consent"]
    assert rows[1][:5] == [
        "Disclosure",
        "'=HYPERLINK(1) (parent)",
        (date.today() - timedelta(days=1)).isoformat(),
        "Saw the family-session calendar (month view)",
        "1",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Jo", "Jo"),
        (3, "3"),
    ],
)
def test_safe_cell(value, shown):
    assert safe_cell(value) == shown


def test_pdf_is_produced_and_audited_with_format_and_period(client, auth, counselor, sam, linked):
    disclose(linked, "calendar_dashboard", day_at(1))
    auth.login(counselor.email)
    response = client.get(f"/care/clients/{sam.id}/disclosures.pdf?start=2026-01-01&end=2026-12-31")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and response.headers["Cache-Control"] == "no-store"
    [event] = produced()
    assert event.actor_id == counselor.id and event.client_id == sam.id
    assert event.detail == {"format": "pdf", "from": "2026-01-01", "to": "2026-12-31"}


def test_each_format_is_audited(client, auth, counselor, sam):
    auth.login(counselor.email)
    for suffix in ("", ".pdf", ".csv"):
        assert client.get(f"/care/clients/{sam.id}/disclosures{suffix}").status_code == 200
    assert [e.detail["format"] for e in produced()] == ["html", "pdf", "csv"]


def test_admin_may_produce_it(client, auth, admin, sam):
    auth.login(admin.email)
    assert client.get(f"/care/clients/{sam.id}/disclosures.pdf").status_code == 200


@pytest.mark.parametrize("suffix", ["", ".pdf", ".csv"])
def test_only_the_clients_counselors_and_admins_may_produce_it(client, auth, counselor, sam, suffix):
    url = f"/care/clients/{sam.id}/disclosures{suffix}"
    assert client.get(url).status_code == 302  # signed out: to the login page
    auth.login(make_user(roles=(Role.COUNSELOR,)).email)  # another program's counselor
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(make_user(roles=(Role.MODERATOR,)).email)
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login(make_user().email)
    assert client.get(url).status_code == 403
    other = make_client()
    auth.logout()
    auth.login(counselor.email)
    assert client.get(f"/care/clients/{other.id}/disclosures{suffix}").status_code == 404
    assert produced() == []
