"""Admin → Outgoing mail: failed messages listed (recipient and subject, never the body) and
sent again by an admin only (POST + CSRF, audited)."""

import pytest

from portal import mail
from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.extensions import db
from portal.mail import MailStatus, OutgoingMail
from portal.security import Role
from tests.factories import make_user


def _failed(to="casey@example.org", subject="Your invitation", body="SECRET-BODY https://x/invite/tok"):
    row = mail.enqueue(to, subject, body)
    row.status = MailStatus.FAILED.value
    row.attempts = 9
    row.failed_at = utcnow()
    row.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
    db.session.commit()
    return row


def _reload(row):
    db.session.expire_all()
    return db.session.get(OutgoingMail, row.id)


def test_admin_sees_failed_messages_without_their_bodies(client, signed_in_admin):
    _failed()
    reset = mail.enqueue_built("auth_reset", "river@example.org")
    reset.status = MailStatus.FAILED.value
    reset.failed_at = utcnow()
    sent = mail.enqueue("sent@example.org", "Delivered one", "body")
    sent.status = MailStatus.SENT.value
    db.session.commit()
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "casey@example.org" in page and "Your invitation" in page and "Connection refused" in page
    assert "river@example.org" in page and "Password reset link" in page  # built kinds get a label
    assert "SECRET-BODY" not in page and "/invite/tok" not in page
    assert "sent@example.org" not in page  # only the failed ones are listed


def test_admin_sends_a_failed_message_again_audited(client, auth, signed_in_admin, outbox):
    row = _failed()
    response = auth.post(f"/admin/mail/{row.id}/retry", page="/admin/mail")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/mail"
    row = _reload(row)
    assert row.status == MailStatus.PENDING and row.attempts == 0 and row.failed_at is None
    [event] = db.session.scalars(db.select(AuditEvent).filter_by(action="mail.retried"))
    assert event.actor_id == signed_in_admin.id and event.object_type == "mail_queue" and event.object_id == str(row.id)
    assert event.detail == {"kind": "message", "attempts": 9}
    assert [m["To"] for m in outbox()] == ["casey@example.org"]
    assert _reload(row).status == MailStatus.SENT


def test_retry_needs_csrf_and_a_failed_message(client, auth, signed_in_admin):
    row = _failed()
    assert client.post(f"/admin/mail/{row.id}/retry").status_code == 400
    assert _reload(row).status == MailStatus.FAILED
    assert auth.post("/admin/mail/999999/retry", page="/admin/mail").status_code == 404
    pending = mail.enqueue("x@example.org", "Waiting", "body")
    db.session.commit()
    auth.post(f"/admin/mail/{pending.id}/retry", page="/admin/mail")
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).filter_by(action="mail.retried")) == 0


def test_retry_is_post_only(client, signed_in_admin):
    row = _failed()
    assert client.get(f"/admin/mail/{row.id}/retry").status_code == 405


@pytest.mark.parametrize("role", [Role.FAMILY, Role.MODERATOR, Role.COUNSELOR])
def test_only_admins_see_or_retry_mail(client, auth, role):
    make_user(email="pat@example.org", roles=(role,))
    row = _failed()
    auth.login("pat@example.org")
    assert client.get("/admin/mail").status_code == 403
    assert auth.post(f"/admin/mail/{row.id}/retry").status_code == 403
    assert _reload(row).status == MailStatus.FAILED


def test_visitors_are_sent_to_login(client):
    assert client.get("/admin/mail").headers["Location"].startswith("/auth/login")
