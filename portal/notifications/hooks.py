"""Notices other features announce with signals: care's `consent_ended`."""

import logging

import sqlalchemy as sa

from portal.auth.models import User
from portal.care.access import consent_ended
from portal.extensions import db
from portal.notifications.services import notify, refresh_unread

log = logging.getLogger("portal.notifications")


@consent_ended.connect
def on_consent_ended(sender, user_ids=(), reason=None, **extra):
    """ "You no longer have access …": said without the reason, the client or the program, so it
    never tells more than the person could already see. Someone who left the link themselves
    is not told what they just did."""
    if not user_ids:
        return
    users = list(db.session.scalars(sa.select(User).where(User.id.in_(list(user_ids)))))
    try:
        for user in users:
            if reason == "left":
                refresh_unread(user)  # the bell stops counting what they may no longer see
            else:
                notify(user, "access_ended")  # counts again too
        db.session.commit()
    except Exception:  # noqa: BLE001 — the consent change stands; the notice is a courtesy
        db.session.rollback()
        log.exception("could not store an access notice")
