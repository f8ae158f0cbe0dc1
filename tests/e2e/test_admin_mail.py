"""Admin → Outgoing mail in Chromium: the failed list passes axe, and "Send again" queues it."""

from portal import mail
from portal.clock import utcnow
from portal.extensions import db
from portal.mail import MailStatus, OutgoingMail
from portal.security import Role
from tests.factories import make_user


def test_admin_sends_a_failed_message_again(page, live_server, browser_login, assert_accessible):
    make_user(email="avery@example.org", roles=(Role.ADMIN,), display_name="Avery")
    row = mail.enqueue("casey@example.org", "Your invitation", "SECRET-BODY")
    row.status, row.attempts, row.failed_at = MailStatus.FAILED.value, 7, utcnow()
    row.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
    db.session.commit()
    browser_login(page, "avery@example.org")
    page.get_by_role("link", name="Outgoing mail").click()
    page.get_by_role("heading", name="Outgoing mail").wait_for()
    assert "casey@example.org" in page.inner_text("main") and "SECRET-BODY" not in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Send again").click()
    page.get_by_text("is queued again").wait_for()
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.get(OutgoingMail, row.id).status == MailStatus.PENDING
