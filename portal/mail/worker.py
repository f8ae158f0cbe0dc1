"""Background delivery in each server process: started with the server (`python wsgi.py`,
gunicorn.conf.py post_worker_init, next to portal/upkeep.py), never by tests or CLI commands."""

import logging
import random

from portal.extensions import db, socketio
from portal.mail.delivery import deliver_due

log = logging.getLogger("portal.mail")


class BackgroundDelivery:
    """A loop that runs a delivery every MAIL_QUEUE_POLL_SECONDS (±20 %, so processes spread
    out) until stopped; a greenlet under gevent, a thread under the development server."""

    def __init__(self, app):
        self.app = app
        self.interval = float(app.config["MAIL_QUEUE_POLL_SECONDS"])
        self.running = False

    def start(self):
        self.running = True
        socketio.start_background_task(self._loop)
        return self

    def stop(self):
        self.running = False

    def _loop(self):
        while self.running:
            socketio.sleep(self.interval * random.uniform(0.8, 1.2))  # noqa: S311 — jitter, not a secret
            if self.running:
                self.run_once()

    def run_once(self):
        with self.app.app_context():
            try:
                report = deliver_due()
                if report.sent or report.failed:
                    log.info("mail: %s sent, %s retrying, %s failed", report.sent, report.retrying, report.failed)
            except Exception:  # noqa: BLE001 — e.g. the database is away; the next run tries again
                log.exception("mail delivery run failed")
            finally:
                db.session.remove()


def start_background_delivery(app):
    """Start delivering queued mail in this process (no-op when MAIL_QUEUE_POLL_SECONDS is 0)."""
    if not app.config.get("MAIL_QUEUE_POLL_SECONDS"):
        return None
    if app.config["PORTAL_ENV"] == "production" and not app.config.get("PORTAL_BASE_URL_SET"):
        log.warning("PORTAL_BASE_URL is not set: links in emails point to %s", app.config["PORTAL_BASE_URL"])
    return BackgroundDelivery(app).start()
