"""The Socket.IO message queue over Redis, made to survive Redis going away (issue 17).

python-socketio's RedisManager delivers an event to this process's own sockets at once and
publishes it for the other processes. While Redis is away those publishes are lost: people
connected to another process stop hearing each other. This manager

- notices the loss (a failed publish or a broken subscription), tells its own sockets
  (`delivery` `{"live": false}`, the browser shows "reconnecting") and retries every second
  at most (the library's back-off grew to 60 s: the gap outlived Redis' return by 10.9 s);
- when the subscription is back, before it hands on anything new, sends its own sockets
  every message they missed, from the database, oldest first: for each room that has sockets
  here, the visible messages after the newest one delivered here when the queue was lost
  (and, for messages committed out of order around that moment, those created from a few
  seconds before it), except ids already delivered here — then `delivery` `{"live": true}`;
- never delivers the same `message` id twice to its sockets (a broadcast that arrives after
  the catch-up sent it is dropped).
"""

import logging
import threading
import time
from datetime import timedelta

from socketio import RedisManager
from socketio.manager import Manager

from portal.clock import utcnow

log = logging.getLogger("portal.rooms")
NAMESPACE = "/chat"
ROOM_PREFIX = "room:"
RETRY_MAX = 1.0  # seconds between attempts to subscribe again
SLACK = timedelta(seconds=5)  # messages created this long before the loss are checked too
REMEMBER = 5000  # message ids remembered per room (to drop duplicates)


class ResilientRedisManager(RedisManager):
    def __init__(self, url, channel, app):
        super().__init__(url, channel=channel)
        self.app = app
        self.live = True
        self.lost_at = None
        self._marks = {}  # room slug -> newest id delivered here when the queue was lost
        self._newest = {}  # room slug -> newest message id delivered to sockets here
        self._delivered = {}  # room slug -> ids delivered here (the newest REMEMBER)
        self._lock = threading.Lock()

    # --- noticing --------------------------------------------------------------------------

    def _publish(self, data):
        sent = super()._publish(data)  # logs and swallows a failure, returning None
        if sent is None:
            self._lost("publish failed")
        return sent

    def _redis_listen_with_retries(self):  # pragma: no cover - exercised by tests/test_redis_faults.py
        retry = 0.2
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                    retry = 0.2
                    if not self.live:
                        self._recover()
                yield from self.pubsub.listen()
            except Exception as error:  # noqa: BLE001 - any failure means: subscribe again
                subscribed = False
                self.connected = False
                self._lost(type(error).__name__)
                time.sleep(retry)
                retry = min(retry * 2, RETRY_MAX)

    def _lost(self, why):
        with self._lock:
            if not self.live:
                return
            self.live = False
            self.lost_at = utcnow()
            self._marks = dict(self._newest)
        log.warning("message queue (Redis) lost (%s): live delivery between processes paused", why)
        self._tell_sockets(live=False)

    def _recover(self):
        """Subscribed again: catch this process's sockets up from the database, then go live."""
        delivered = 0
        try:
            delivered = self._catch_up()
        except Exception:  # noqa: BLE001 - the database may be away too; the browsers rejoin
            log.exception("catch-up after the message queue returned failed")
        with self._lock:
            self.live = True
        log.warning("message queue (Redis) back: %d missed message(s) delivered from the database", delivered)
        self._tell_sockets(live=True)

    def _tell_sockets(self, live):
        Manager.emit(self, "delivery", {"live": live}, namespace=NAMESPACE, room=None)

    # --- delivering ------------------------------------------------------------------------

    def _handle_emit(self, message):
        if message.get("event") == "message" and message.get("namespace") == NAMESPACE:
            data = message.get("data")
            payload = data[0] if isinstance(data, list) and data else data
            if isinstance(payload, dict) and not self._first_delivery(payload.get("room"), payload.get("id")):
                return
        super()._handle_emit(message)

    def _first_delivery(self, slug, message_id):
        """Record a `message` delivered here; False when this id was delivered already."""
        if not isinstance(slug, str) or not isinstance(message_id, int):
            return True
        with self._lock:
            seen = self._delivered.setdefault(slug, set())
            if message_id in seen:
                return False
            seen.add(message_id)
            if len(seen) > REMEMBER:
                for old in sorted(seen)[: len(seen) - REMEMBER // 2]:
                    seen.discard(old)
            self._newest[slug] = max(self._newest.get(slug, 0), message_id)
        return True

    def _local_rooms(self):
        rooms = list(self.rooms.get(NAMESPACE, {}).items())
        return sorted(
            name[len(ROOM_PREFIX) :]
            for name, sids in rooms
            if isinstance(name, str) and name.startswith(ROOM_PREFIX) and sids
        )

    def _catch_up(self):
        from portal.extensions import db
        from portal.rooms import presence, services

        delivered = 0
        with self.app.app_context():
            try:
                presence.store().resync()
                since = (self.lost_at or utcnow()) - SLACK
                for slug in self._local_rooms():
                    for payload in services.missed_messages(slug, self._marks.get(slug), since):
                        if self._first_delivery(slug, payload["id"]):
                            Manager.emit(self, "message", payload, namespace=NAMESPACE, room=ROOM_PREFIX + slug)
                            delivered += 1
            finally:
                db.session.remove()
        return delivered
