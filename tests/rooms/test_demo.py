"""`flask seed-demo` creates the demo rooms once, with history; demo families may post at once."""

import sqlalchemy as sa

from portal.extensions import db
from portal.rooms import access
from portal.rooms.models import Message, Room


def test_seed_demo_creates_rooms_idempotently(app, runner):
    from portal.auth.services import find_user_by_email

    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    runner.invoke(args=["seed-demo"])
    rooms = {r.slug: r for r in db.session.scalars(sa.select(Room))}
    assert set(rooms) >= {"welcome", "evening-iop"}
    assert rooms["evening-iop"].kind == "program" and rooms["evening-iop"].program.name == "Evening IOP"
    english = [rooms["welcome"].id, rooms["evening-iop"].id]
    count = db.session.scalar(sa.select(sa.func.count(Message.id)).where(Message.room_id.in_(english)))
    assert count == 6
    family, family2 = find_user_by_email("family@example.org"), find_user_by_email("family2@example.org")
    access.check_may_post(family, rooms["evening-iop"])
    access.check_may_post(family2, rooms["welcome"])
    assert not access.is_eligible(family2, rooms["evening-iop"])
    assert family.established and family2.established
