"""RSVPs with capacity and an automatically promoted waitlist; attendance marked by counselors."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.calendar.models import RSVP, Attendance, AttendanceStatus, NotificationKind, Response, SessionSeries
from portal.calendar.services import CalendarError, _send, notify_users
from portal.clock import utcnow
from portal.extensions import db


def rsvps_for(series_id, original):
    query = (
        sa.select(RSVP)
        .where(RSVP.series_id == series_id, RSVP.occurrence_start == original)
        .order_by(RSVP.requested_at, RSVP.id)
        .execution_options(populate_existing=True)  # seats as committed, not as this session last saw them
    )
    return list(db.session.scalars(query))


def seats_taken(series_id, original, besides=None):
    """How many people hold a seat (going, not waitlisted), counted by the database: the family's
    session page and a reply need the number, not every reply with its author (which grew with
    the number of families who answered). `besides`: a person whose own reply is left out."""
    query = (
        sa.select(sa.func.count())
        .select_from(RSVP)
        .where(RSVP.series_id == series_id, RSVP.occurrence_start == original, RSVP.holds_seat)
    )
    if besides is not None:
        query = query.where(RSVP.user_id != besides.id)
    return db.session.scalar(query)


def rsvp_of(user, series_id, original):
    return db.session.scalar(sa.select(RSVP).filter_by(series_id=series_id, occurrence_start=original, user_id=user.id))


def respond(user, occurrence, response, now=None):
    """Record going / maybe / not going; a full session puts "going" on the waitlist."""
    now = now or utcnow()
    response = Response(response)
    if occurrence.cancelled:
        raise CalendarError(_l("This session is cancelled."))
    if occurrence.start <= now:
        raise CalendarError(_l("This session has already started."))
    series, original = occurrence.series, occurrence.original_start
    # Two people taking the last seat at once: the second waits here until the first commits,
    # then counts that seat (and a double submit finds the first one's row).
    capacity = lock_seats(series.id)
    rsvp = rsvp_of(user, series.id, original)
    if rsvp is None:
        rsvp = RSVP(
            series_id=series.id,
            occurrence_start=original,
            user_id=user.id,
            response=response,
            requested_at=now,
            created_at=now,
        )
        db.session.add(rsvp)
        had_seat = False
    else:
        had_seat = rsvp.holds_seat
    if response == Response.GOING and not had_seat:
        taken = seats_taken(series.id, original, besides=user)
        rsvp.waitlisted = capacity is not None and taken >= capacity
        rsvp.requested_at = now
    elif response != Response.GOING:
        rsvp.waitlisted = False
    rsvp.response = response
    db.session.flush()
    notices = promote_waitlist(series, original) if had_seat and not rsvp.holds_seat else []
    db.session.commit()
    _send(notices)
    return rsvp


def lock_seats(series_id):
    """Serialise seat changes of one series until the transaction ends; returns its capacity.

    PostgreSQL: SELECT … FOR UPDATE on the series row (there is no occurrence row), so a
    concurrent `respond` or `promote_waitlist` waits, then reads the seats the first committed.
    SQLite: BEGIN IMMEDIATE takes the database's write lock before the seats are read (the
    driver otherwise begins only at the first write, after both requests had counted); a
    connection that has already written holds that lock.
    """
    query = sa.select(SessionSeries.capacity).where(SessionSeries.id == series_id)
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return db.session.scalar(query)
    return db.session.scalar(query.with_for_update())


def promote_waitlist(series, original):
    """Give freed seats to the longest-waiting people; returns their notices (caller commits)."""
    capacity = lock_seats(series.id)
    rsvps = rsvps_for(series.id, original)
    free = None if capacity is None else capacity - sum(1 for r in rsvps if r.holds_seat)
    promoted = []
    for rsvp in rsvps:
        if rsvp.waits_for_seat and (free is None or free > 0):
            rsvp.waitlisted = False
            promoted.append(rsvp.user)
            free = None if free is None else free - 1
    return notify_users(series, NotificationKind.PROMOTED, promoted, original) if promoted else []


def drop_future_rsvps(user_ids, series_ids, now=None):
    """Remove upcoming RSVPs (someone's access ended) and hand their seats on; caller commits."""
    now = now or utcnow()
    rows = list(
        db.session.scalars(
            sa.select(RSVP).where(
                RSVP.user_id.in_(user_ids), RSVP.series_id.in_(series_ids), RSVP.occurrence_start > now
            )
        )
    )
    touched = set()
    for row in rows:
        touched.add((row.series_id, row.occurrence_start))
        db.session.delete(row)
    db.session.flush()
    return touched


def attendance_for(series_id, original):
    rows = db.session.scalars(sa.select(Attendance).filter_by(series_id=series_id, occurrence_start=original))
    return {row.user_id: row for row in rows}


def mark_attendance(marker, occurrence, statuses, allowed_user_ids):
    """Save present / late / absent for family members who may see this session."""
    if occurrence.cancelled:
        raise CalendarError(_l("This session was cancelled."))
    if occurrence.start > utcnow():
        raise CalendarError(_l("Attendance can be marked once the session has started."))
    existing = attendance_for(occurrence.series.id, occurrence.original_start)
    for user_id, status in statuses.items():
        if user_id not in allowed_user_ids:
            raise CalendarError(_l("That person is not part of this session."))
        if not status:
            continue
        row = existing.get(user_id) or Attendance(
            series_id=occurrence.series.id, occurrence_start=occurrence.original_start, user_id=user_id
        )
        row.status, row.marked_by_id, row.marked_at = AttendanceStatus(status), marker.id, utcnow()
        db.session.add(row)
    audit.record(
        "calendar.attendance_marked",
        actor=marker,
        obj=occurrence.series,
        client_id=occurrence.series.client_id,
        detail={"occurrence": occurrence.key},
    )
    db.session.commit()
