"""The server's background upkeep (portal/upkeep.py): consent expiry announced within a minute
without cron, and sockets of sessions that idled out or ended closed within a minute."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from portal import upkeep
from portal.audit import AuditEvent
from portal.auth.models import SessionRecord
from portal.care import services as care_services
from portal.care.models import FamilyLink
from portal.extensions import db
from portal.rooms.models import RoomKind
from portal.security import Role
from tests.factories import link_family, make_client, make_program, make_user
from tests.rooms.conftest import ack, make_room, member, payloads

EXPIRES_ON = date(2026, 3, 10)
LAST_MINUTES = datetime(2026, 3, 11, 3, 55, tzinfo=UTC)  # 23:55 on 10 March in New York
JUST_AFTER = datetime(2026, 3, 11, 4, 5, tzinfo=UTC)  # 00:05 on 11 March: the consent has lapsed


@pytest.fixture
def dated(app):
    """Jordan's consent runs until 10 March; Jordan is in the program room."""
    with time_machine.travel(LAST_MINUTES, tick=False):
        counselor = make_user(email="casey@example.org", roles=(Role.COUNSELOR,))
        program = make_program(name="Evening IOP", counselors=[counselor])
        sam = make_client(program=program, full_name="Sam Rivera", counselor=counselor)
        jordan = member("jordan@example.org", "Jordan")
        make_room("evening-iop", kind=RoomKind.PROGRAM, program=program)
        return link_family(jordan, sam, witness=counselor, expires_on=EXPIRES_ON)


def test_one_round_announces_a_lapsed_consent_and_the_socket_leaves(app, chat, ended, dated):
    with time_machine.travel(LAST_MINUTES, tick=False) as traveller:
        sock = chat.connect(dated.user)
        assert ack(sock, "join", {"room": "evening-iop"})["ok"] is True
        assert upkeep.run_once(app) == (0, 0)
        traveller.move_to(JUST_AFTER)
        assert upkeep.run_once(app) == (1, 0)
        assert [c["reason"] for c in ended] == ["expired"]
        assert payloads(sock, "access_ended") == [{"room": "evening-iop"}]
        assert sock.is_connected("/chat")  # the session itself is still live
        assert upkeep.run_once(app) == (0, 0)
        assert len(ended) == 1
        db.session.expire_all()
        assert db.session.get(FamilyLink, dated.id).ended_reason == "consent_expired"
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).filter_by(action="family_link.ended")) == 1


class _Meeting:
    """sqlalchemy for care.services, except that each run waits at its first UPDATE until the
    other run has read the lapsed links too: the two runs truly overlap."""

    def __init__(self):
        self.barrier = threading.Barrier(2, timeout=10)
        self.waited = set()

    def __getattr__(self, name):
        return getattr(sa, name)

    def update(self, *args, **kwargs):
        if threading.get_ident() not in self.waited:
            self.waited.add(threading.get_ident())
            self.barrier.wait()
        return sa.update(*args, **kwargs)


def test_two_overlapping_rounds_announce_once(app, ended, dated, monkeypatch):
    monkeypatch.setattr(care_services, "sa", _Meeting())
    results = []
    runs = [threading.Thread(target=lambda: results.append(upkeep.run_once(app, JUST_AFTER))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(30)
    assert sorted(r[0] for r in results) == [0, 1]  # the other run claimed nothing (or lost the race)
    assert len(ended) == 1 and ended[0]["user_ids"] == [dated.user_id]
    db.session.expire_all()
    events = db.session.scalars(sa.select(AuditEvent).filter_by(action="family_link.ended")).all()
    assert len(events) == 1


def test_the_loop_starts_with_the_server_only_when_configured(app, monkeypatch):
    from portal.extensions import socketio

    started = []
    monkeypatch.setattr(socketio, "start_background_task", lambda *args: started.append(args) or "task")
    app.config["CONSENT_EXPIRY_INTERVAL_SECONDS"] = 0
    assert upkeep.start(app) is None and started == []
    app.config["CONSENT_EXPIRY_INTERVAL_SECONDS"] = 60
    assert upkeep.start(app) == "task"
    assert started == [(upkeep.run_forever, app, 60)]


def test_the_default_interval_is_a_minute(app):
    from portal.config import BaseConfig

    assert BaseConfig.CONSENT_EXPIRY_INTERVAL_SECONDS == 60


# --- sockets of ended sessions ------------------------------------------------------------------


START = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "later",
    [
        pytest.param(timedelta(minutes=31), id="idle"),  # family sessions idle out after 30 minutes
        pytest.param(timedelta(hours=12, minutes=1), id="absolute"),
    ],
)
def test_sockets_of_sessions_that_expired_are_closed(app, chat, later):
    with time_machine.travel(START, tick=False) as traveller:
        alice, bea = member("alice@example.org"), member("bea@example.org")
        sleepy = chat.connect(alice)
        traveller.move_to(START + later - timedelta(minutes=5))
        awake = chat.connect(bea)  # signed in later: still live
        traveller.move_to(START + later)
        assert upkeep.run_once(app) == (0, 1)
        assert not sleepy.is_connected("/chat")
        assert awake.is_connected("/chat")
        db.session.expire_all()
        record = db.session.scalar(sa.select(SessionRecord).filter_by(user_id=alice.id))
        assert record.revoked_at is not None and record.revoked_reason == "expired"
        assert upkeep.run_once(app) == (0, 0)


def test_a_session_ended_without_a_signal_closes_its_socket(app, chat):
    """E.g. revoked by hand in the database, or by a process that could not reach this one."""
    alice = member("alice@example.org")
    sock = chat.connect(alice)
    record = db.session.scalar(sa.select(SessionRecord).filter_by(user_id=alice.id))
    record.revoke("logout")
    db.session.commit()
    assert sock.is_connected("/chat")
    assert upkeep.run_once(app) == (0, 1)
    assert not sock.is_connected("/chat")
    db.session.expire_all()
    assert db.session.get(SessionRecord, record.id).revoked_reason == "logout"


def test_a_live_session_keeps_its_socket(app, chat):
    sock = chat.connect(member("alice@example.org"))
    assert upkeep.run_once(app) == (0, 0)
    assert sock.is_connected("/chat")
