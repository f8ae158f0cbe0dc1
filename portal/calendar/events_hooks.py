"""Calendar's answer to `care.access.consent_ended`: drop the person's upcoming replies.

Reminders and feeds check consent at the moment they run, so nothing else has to be undone;
removing the RSVPs frees their places for people on the waitlist.
"""

import logging

import sqlalchemy as sa

from portal.auth.models import User
from portal.calendar.models import SessionSeries
from portal.calendar.roster import drop_future_rsvps, promote_waitlist
from portal.calendar.schedule import family_link_for_series
from portal.calendar.services import _send
from portal.care.access import consent_ended
from portal.care.models import Client, Consent
from portal.extensions import db

log = logging.getLogger("portal.calendar")


@consent_ended.connect
def on_consent_ended(sender, client_id=None, user_ids=(), consent_id=None, **extra):
    """Remove upcoming RSVPs of the people who may no longer see this client's sessions."""
    client = db.session.get(Client, client_id) if client_id is not None else None
    if client is None or not user_ids:
        return
    # After a transfer the consent names the program the client left: its group sessions too.
    consent = db.session.get(Consent, consent_id) if consent_id is not None else None
    program_ids = {client.program_id} | ({consent.program_id} if consent and consent.program_id else set())
    series = list(
        db.session.scalars(
            sa.select(SessionSeries).where(
                sa.or_(SessionSeries.client_id == client.id, SessionSeries.program_id.in_(program_ids))
            )
        ).unique()
    )
    users = list(db.session.scalars(sa.select(User).where(User.id.in_(list(user_ids)))))
    touched = set()
    for user in users:
        # Someone still linked to the program through another consent keeps program-wide replies.
        lost = [s.id for s in series if family_link_for_series(user, s) is None]
        if lost:
            touched |= drop_future_rsvps([user.id], lost)
    by_id = {s.id: s for s in series}
    notices = []
    for series_id, original in touched:
        notices.extend(promote_waitlist(by_id[series_id], original))
    db.session.commit()
    if notices:
        _send(notices)
