"""Appeals and lifting sanctions early: a person sends one appeal (with a reason) against a ban,
a mute or a suspension; moderators see appeals in their own queue and lift the sanction or
uphold it. Every step is recorded (room_moderation_actions, audit) and told to the person."""

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import audit
from portal.clock import utcnow
from portal.extensions import db
from portal.rooms.errors import RoomError
from portal.rooms.models import Appeal, AppealKind, RestrictionKind, RoomRestriction, Suspension
from portal.rooms.moderation import Outcome, _record, _tell, lift_suspension, may_suspend

MAX_REASON = 2000


def sanction(user, kind, sanction_id, now=None):
    """The person's own sanction in force (RoomRestriction or Suspension), or RoomError."""
    if kind not in AppealKind.__members__.values() or not 0 < sanction_id < 2**31:
        raise RoomError("not_found")
    row = db.session.get(Suspension if kind == AppealKind.SUSPENSION else RoomRestriction, sanction_id)
    if row is None or row.user_id != user.id or not row.is_active(now):
        raise RoomError("not_found")
    if kind != AppealKind.SUSPENSION and row.kind != kind:
        raise RoomError("not_found")
    return row


def appeal_for(kind, sanction_id):
    return db.session.scalar(sa.select(Appeal).filter_by(kind=kind, sanction_id=sanction_id))


def submit(user, kind, row, reason):
    """Store the one appeal against this sanction; RoomError("already_appealed") for a second."""
    reason = (reason or "").strip()
    if not reason:
        raise RoomError("empty")
    if len(reason) > MAX_REASON:
        raise RoomError("invalid")
    if appeal_for(kind, row.id) is not None:
        raise RoomError("already_appealed")
    appeal = Appeal(
        user_id=user.id, kind=kind, sanction_id=row.id, room_id=getattr(row, "room_id", None), reason=reason
    )
    db.session.add(appeal)
    db.session.flush()
    audit.record(
        "moderation.appeal", actor=user, object_type="room_appeals", object_id=appeal.id, detail={"kind": kind}
    )
    db.session.commit()
    return appeal


def open_appeals():
    return db.session.scalars(sa.select(Appeal).filter_by(resolved_at=None).order_by(Appeal.created_at)).all()


def open_count():
    return db.session.scalar(sa.select(sa.func.count(Appeal.id)).filter_by(resolved_at=None))


def sanction_of(appeal):
    model = Suspension if appeal.kind == AppealKind.SUSPENSION else RoomRestriction
    return db.session.get(model, appeal.sanction_id)


def lift_restriction(moderator, restriction):
    """End a ban or mute early."""
    if not restriction.is_active():
        raise RoomError("not_found")
    restriction.lifted_at = utcnow()
    room = restriction.room
    person = restriction.user
    _record(moderator, f"lift_{restriction.kind}", target=person, room=room)
    if restriction.kind == RestrictionKind.BAN:
        text = _("You are welcome back in “%(room)s”: a moderator lifted your removal.", room=room.name)
    else:
        text = _("You can post again in “%(room)s”: a moderator lifted the pause.", room=room.name)
    notice = _tell(person, text)
    _close_appeal(moderator, AppealKind(restriction.kind), restriction.id, "lifted")
    db.session.commit()
    return Outcome(f"lift_{restriction.kind}", notice=notice)


def _close_appeal(moderator, kind, sanction_id, outcome, response=""):
    appeal = appeal_for(kind, sanction_id)
    if appeal is not None and appeal.resolved_at is None:
        appeal.resolved_at = utcnow()
        appeal.resolved_by_id = moderator.id
        appeal.outcome = outcome
        appeal.response = response


def decide(moderator, appeal, lift, response):
    """Lift the sanction (and close the appeal) or uphold it with a response the person reads."""
    if appeal.resolved_at is not None:
        raise RoomError("not_found")
    row = sanction_of(appeal)
    if appeal.kind == AppealKind.SUSPENSION and not may_suspend(moderator, appeal.user):
        raise RoomError("admin_only")
    if lift and row is not None and row.is_active():
        if appeal.kind == AppealKind.SUSPENSION:
            _close_appeal(moderator, appeal.kind, appeal.sanction_id, "lifted", response)
            return lift_suspension(moderator, appeal.user)
        outcome = lift_restriction(moderator, row)
        appeal.response = response
        db.session.commit()
        return outcome
    _close_appeal(moderator, appeal.kind, appeal.sanction_id, "upheld", response)
    _record(moderator, "appeal_upheld", response, target=appeal.user, room=appeal.room)
    notice = _tell(
        appeal.user,
        _("A moderator read your appeal and the decision stays. %(response)s", response=response).strip(),
    )
    db.session.commit()
    return Outcome("appeal_upheld", notice=notice)
