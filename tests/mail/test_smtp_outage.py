"""SMTP going away: a real SMTP server on loopback (aiosmtpd) that the test stops and starts.

Requests only queue mail, so the reset page answers the same for every address while the
server is away; the mail waits with backoff, is delivered when the server is back, and a new
app instance (a restarted process) loses nothing."""

from datetime import timedelta

import sqlalchemy as sa

from portal import create_app
from portal.clock import utcnow
from portal.extensions import db
from portal.mail import MailStatus, OutgoingMail, deliver_due
from tests.auth.helpers import without_tokens
from tests.factories import make_user


def _reset(auth, email):
    return auth.post("/auth/reset", {"email": email}, page="/auth/reset")


def test_reset_while_smtp_is_away_then_back(app, auth, smtp, queued, runner):
    make_user(email="known@example.org")
    smtp.stop()

    known = _reset(auth, "known@example.org")
    unknown = _reset(auth, "unknown@example.org")
    assert known.status_code == unknown.status_code == 200  # was a 500 for an existing account
    assert without_tokens(known.get_data(as_text=True)) == without_tokens(unknown.get_data(as_text=True))
    assert [(r.recipient, r.attempts) for r in queued()] == [("known@example.org", 0), ("unknown@example.org", 0)]

    before = utcnow()
    report = deliver_due()
    assert report.retrying == 1 and not report.ok  # the server is away: the run stops there
    assert deliver_due().dropped == 1  # the next run reaches the other request
    rows = queued()
    # the request for an address without an account is dropped without a word, sent nowhere
    assert [r.recipient for r in rows] == ["known@example.org"]
    [row] = rows
    assert row.status == MailStatus.PENDING and row.attempts == 1
    assert "Connection refused" in row.last_error or "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=30)  # backoff, not a busy loop

    result = runner.invoke(args=["mail", "send"])  # cron: not due yet, nothing failed now
    assert result.exit_code == 0 and "0 message(s) sent" in result.output

    smtp.start()
    deliver_due(now=row.next_attempt_at)
    assert [m["To"] for m in smtp.messages] == ["known@example.org"]
    assert "/auth/reset/" in smtp.messages[0].get_content()
    assert queued()[0].status == MailStatus.SENT


def test_mail_send_exits_non_zero_saying_why(app, smtp, runner):
    make_user(email="known@example.org")
    from portal import mail

    mail.enqueue("known@example.org", "Hello", "body")
    db.session.commit()
    smtp.stop()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "1 message(s) not delivered" in result.output and "Connection" in result.output
    smtp.start()
    later = utcnow() + timedelta(minutes=2)
    import time_machine

    with time_machine.travel(later, tick=False):
        result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "1 message(s) sent" in result.output
    assert [m["Subject"] for m in smtp.messages] == ["Hello"]


def test_a_restart_loses_nothing(app, auth, smtp, database_url):
    make_user(email="known@example.org")
    smtp.stop()
    _reset(auth, "known@example.org")
    auth.post(
        "/auth/signup",
        {
            "email": "new@example.org",
            "display_name": "River",
            "timezone": "America/New_York",
            "password": "lantern meadow copper violin",
            "confirm": "lantern meadow copper violin",
        },
        page="/auth/signup",
    )
    db.session.remove()
    smtp.start()

    restarted = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_OUTBOX=app.config["MAIL_OUTBOX"],
    )
    with restarted.app_context():
        report = deliver_due()
        pending = db.session.scalar(
            sa.select(sa.func.count()).select_from(OutgoingMail).where(OutgoingMail.status != MailStatus.SENT)
        )
        db.session.remove()
        db.engine.dispose()
    assert report.sent == 2 and pending == 0
    assert sorted(m["To"] for m in smtp.messages) == ["known@example.org", "new@example.org"]
