"""The demo seed: Sam's weekly Tuesday 18:00 series across a clock change, and a monthly family group."""

from datetime import time

import sqlalchemy as sa

from portal.calendar import demo
from portal.calendar.models import SessionSeries
from portal.calendar.schedule import occurrences_of
from portal.extensions import db
from portal.security import Role
from tests.factories import make_user


def test_seed_alone_is_idempotent_and_crosses_daylight_saving(app):
    accounts = {"counselor@example.org": make_user(email="counselor@example.org", roles=(Role.COUNSELOR,))}
    lines = demo.seed(accounts)
    db.session.commit()
    assert demo.seed(accounts) and len(lines) == 2
    db.session.commit()
    weekly, group = db.session.scalars(sa.select(SessionSeries).order_by(SessionSeries.id)).all()
    assert db.session.scalar(sa.select(sa.func.count(SessionSeries.id))) == 2
    occs = occurrences_of(weekly)
    assert all(o.local_start.weekday() == 1 and o.local_start.time() == time(18, 0) for o in occs)
    assert len({o.local_start.utcoffset() for o in occs}) == 2  # before and after a clock change
    assert weekly.client.full_name == "Sam Rivera" and weekly.mode == "telehealth"
    assert group.program.name == "Evening IOP" and "BYDAY=1TH" in group.rrule
    assert all(o.local_start.weekday() == 3 and o.local_start.day <= 7 for o in occurrences_of(group))


def test_full_seed_demo_links_jordan_to_the_sessions(app, runner):
    from portal.auth.services import find_user_by_email
    from portal.calendar.schedule import family_view

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "calendar: weekly family session" in result.output
    assert len(family_view(find_user_by_email("family@example.org")).series) == 2
    assert family_view(find_user_by_email("family2@example.org")).series == []
