"""The outgoing-mail queue: enqueue in the caller's transaction, deliver later, retry with
backoff, give up after MAIL_MAX_AGE, claim safely across processes, report on /healthz."""

import smtplib
import threading
from datetime import timedelta

import pytest
import time_machine

from portal import create_app, mail
from portal.clock import utcnow
from portal.extensions import db
from portal.mail import MailStatus, deliver_due
from portal.mail.worker import BackgroundDelivery, start_background_delivery

T0 = utcnow().replace(microsecond=0)


def _queue_one(to="casey@example.org", subject="Hello", body="A message body"):
    row = mail.enqueue(to, subject, body)
    db.session.commit()
    return row


def test_queueing_sends_nothing_until_a_delivery_run(app, queued):
    _queue_one()
    outbox_folder = app.config["MAIL_OUTBOX"]
    import os

    assert not os.path.exists(outbox_folder) or os.listdir(outbox_folder) == []
    [row] = queued()
    assert row.status == MailStatus.PENDING and row.attempts == 0


def test_a_delivery_run_writes_the_outbox_and_keeps_no_body(app, outbox, queued):
    _queue_one(body="Your link: https://example.org/secret-token")
    report = deliver_due()
    assert report.sent == 1 and report.ok
    [message] = outbox()
    assert message["To"] == "casey@example.org" and message["Subject"] == "Hello"
    assert "secret-token" in message.get_content()
    [row] = queued()
    assert row.status == MailStatus.SENT and row.sent_at is not None and row.attempts == 1
    assert row.text_body == "" and row.html_body is None  # the link does not outlive its sending


def test_nothing_is_queued_when_the_callers_transaction_rolls_back(app, queued):
    mail.enqueue("casey@example.org", "Hello", "body")
    db.session.rollback()
    assert queued() == []


def _refused(message):
    raise ConnectionRefusedError(111, "Connection refused")


def test_a_failure_is_retried_with_exponential_backoff_then_given_up(app, queued, monkeypatch):
    monkeypatch.setattr(mail.delivery, "transmit", _refused)
    app.config["MAIL_MAX_AGE"] = timedelta(minutes=10)
    with time_machine.travel(T0, tick=False):
        _queue_one()
        assert deliver_due().retrying == 1
    [row] = queued()
    assert row.status == MailStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at == T0 + timedelta(seconds=30)
    assert "ConnectionRefusedError" in row.last_error
    assert deliver_due(now=T0 + timedelta(seconds=29)).retrying == 0  # not due yet
    deliver_due(now=T0 + timedelta(seconds=30))
    assert queued()[0].next_attempt_at == T0 + timedelta(seconds=30 + 60)
    deliver_due(now=T0 + timedelta(seconds=90))
    assert queued()[0].next_attempt_at == T0 + timedelta(seconds=90 + 120)
    report = deliver_due(now=T0 + timedelta(minutes=11))  # older than MAIL_MAX_AGE
    [row] = queued()
    assert report.failed == 1 and row.status == MailStatus.FAILED and row.failed_at is not None
    assert row.text_body == "A message body"  # kept, so an admin can send it again


def test_backoff_is_capped():
    app = create_app("testing")
    with app.app_context():
        assert mail.delivery.backoff(1) == timedelta(seconds=30)
        assert mail.delivery.backoff(4) == timedelta(seconds=240)
        assert mail.delivery.backoff(40) == timedelta(hours=1)


def test_a_recipient_refused_for_good_fails_at_once(app, queued, monkeypatch):
    def refuse(message):
        raise smtplib.SMTPRecipientsRefused({"casey@example.org": (550, b"no such user")})

    monkeypatch.setattr(mail.delivery, "transmit", refuse)
    _queue_one()
    assert deliver_due().failed == 1
    assert queued()[0].status == MailStatus.FAILED


def test_an_unreachable_server_ends_the_run_early(app, queued, monkeypatch):
    calls = []
    monkeypatch.setattr(mail.delivery, "transmit", lambda m: calls.append(m) or _refused(m))
    for n in range(3):
        _queue_one(to=f"p{n}@example.org")
    report = deliver_due()
    assert len(calls) == 1 and report.retrying == 1
    assert [r.attempts for r in queued()] == [1, 0, 0]


def test_a_claim_left_by_a_dead_process_expires(app, outbox, queued):
    with time_machine.travel(T0, tick=False):
        row = _queue_one()
        assert mail.delivery._claim(row.id, T0)  # claimed, then the process died
        assert deliver_due().sent == 0
    later = T0 + timedelta(seconds=app.config["MAIL_CLAIM_SECONDS"])
    assert deliver_due(now=later).sent == 1
    assert len(outbox()) == 1 and queued()[0].attempts == 2


def test_two_processes_delivering_at_once_send_each_message_once(app, database_url, outbox, queued):
    for n in range(30):
        mail.enqueue(f"p{n}@example.org", f"Message {n}", "body")
    db.session.commit()
    others = [create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, MAIL_OUTBOX=app.config["MAIL_OUTBOX"])]
    others.append(create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, MAIL_OUTBOX=app.config["MAIL_OUTBOX"]))
    start = threading.Barrier(2)
    reports = []

    def run(other):
        with other.app_context():
            start.wait()
            reports.append(deliver_due())
            db.session.remove()
            db.engine.dispose()

    threads = [threading.Thread(target=run, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.sent for r in reports) == 30
    subjects = sorted(m["Subject"] for m in outbox())
    assert subjects == sorted(f"Message {n}" for n in range(30))  # each once
    assert {(r.status, r.attempts) for r in queued()} == {(MailStatus.SENT, 1)}


def test_healthz_reports_the_oldest_pending_age(app, client, monkeypatch):
    monkeypatch.setattr(mail.delivery, "transmit", _refused)
    with time_machine.travel(T0, tick=False):
        _queue_one()
        deliver_due()
    with time_machine.travel(T0 + timedelta(seconds=95), tick=False):
        health = client.get("/healthz").get_json()
    assert health == {"status": "ok", "database": "ok", "mail_queue_oldest_seconds": 95}
    monkeypatch.undo()
    deliver_due(now=T0 + timedelta(minutes=5))
    assert client.get("/healthz").get_json()["mail_queue_oldest_seconds"] == 0


def test_the_background_task_delivers_within_its_interval(app, outbox):
    app.config["MAIL_QUEUE_POLL_SECONDS"] = 0.05
    worker = BackgroundDelivery(app).start()
    try:
        _queue_one(subject="From the background")
        for _ in range(200):
            if any(m["Subject"] == "From the background" for m in _read_outbox_only(app)):
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the background task delivered nothing")
    finally:
        worker.stop()


def _read_outbox_only(app):
    """The outbox folder without running a delivery (the background task must do it)."""
    from email import message_from_bytes, policy
    from pathlib import Path

    folder = Path(app.config["MAIL_OUTBOX"])
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in folder.glob("*.eml")]


def test_tests_and_commands_start_no_background_task(app):
    assert app.config["MAIL_QUEUE_POLL_SECONDS"] == 0
    assert start_background_delivery(app) is None
