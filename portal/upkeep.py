"""What every server process does in the background, every CONSENT_EXPIRY_INTERVAL_SECONDS
(default 60): announce the consents that passed their date (as `flask care expire-consents`
does, which stays for cron), close the sockets of sessions that idled out, expired or were
revoked, and escalate unhandled crisis alerts to the next person on call (rooms.crisis).
Started with the app server (`python wsgi.py` under `make run`; each gunicorn worker,
gunicorn.conf.py), never by CLI commands or tests. Safe with several processes: each link is
claimed by a conditional UPDATE (care.services.expire_consents) and each process closes only
its own sockets."""

import logging

from portal.extensions import db, socketio

log = logging.getLogger("portal.upkeep")


def run_once(app, now=None):
    """One round; returns (family links ended, sockets closed) — crisis escalations are logged.
    A failing task is logged and the others still run."""
    from portal.care.services import expire_consents
    from portal.rooms.crisis import escalate_due
    from portal.rooms.standing import end_expired_sockets

    results = []
    with app.app_context():
        for task in (expire_consents, end_expired_sockets, escalate_due):
            try:
                results.append(task(now))
            except Exception:
                db.session.rollback()
                log.exception("upkeep: %s failed", task.__name__)
                results.append(0)
        db.session.remove()
    level = logging.INFO if any(results) else logging.DEBUG
    log.log(
        level,
        "upkeep: %d family link(s) ended, %d socket(s) of ended sessions closed, %d crisis alert(s) escalated",
        *results,
    )
    return tuple(results[:2])


def run_forever(app, interval):
    while True:
        socketio.sleep(interval)
        run_once(app)


def start(app):
    """Start the loop as a background task of the Socket.IO server (a thread, or a greenlet
    under gevent); returns it, or None when CONSENT_EXPIRY_INTERVAL_SECONDS is 0."""
    interval = app.config.get("CONSENT_EXPIRY_INTERVAL_SECONDS") or 0
    if interval <= 0:
        log.info("upkeep loop off (CONSENT_EXPIRY_INTERVAL_SECONDS=0): run `flask care expire-consents` from cron")
        return None
    log.info("upkeep loop every %s s: consent expiry, idle-session sockets", interval)
    return socketio.start_background_task(run_forever, app, interval)
