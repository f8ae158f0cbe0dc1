"""Who is connected where: sockets per user, rooms per socket, online people per room.

One small interface with two stores: in-process (development, tests, one server) and Redis
(`REDIS_URL`), so several server processes agree on who is online and whose sockets to drop.
"""

import logging
import os
import secrets
import socket
import threading
import time
from collections import defaultdict

from flask import current_app

log = logging.getLogger("portal.rooms")


class MemoryPresence:
    def __init__(self):
        self.announced = {}  # room slug -> the online list this process last broadcast
        self._lock = threading.Lock()
        self._user_of = {}  # sid -> user id
        self._record_of = {}  # sid -> session record id
        self._sids_of = defaultdict(set)  # user id -> sids
        self._rooms_of = defaultdict(set)  # sid -> room slugs
        self._members = defaultdict(dict)  # room slug -> {sid: user id}

    def connect(self, sid, user_id, record_id=None):
        with self._lock:
            self._user_of[sid] = user_id
            self._record_of[sid] = record_id
            self._sids_of[user_id].add(sid)

    def disconnect(self, sid):
        """Forget the socket; returns the rooms it was in."""
        with self._lock:
            user_id = self._user_of.pop(sid, None)
            self._record_of.pop(sid, None)
            if user_id is not None:
                self._sids_of[user_id].discard(sid)
                if not self._sids_of[user_id]:
                    del self._sids_of[user_id]
            rooms = self._rooms_of.pop(sid, set())
            for room in rooms:
                self._members[room].pop(sid, None)
            return rooms

    def enter(self, room, sid, user_id):
        with self._lock:
            self._rooms_of[sid].add(room)
            self._members[room][sid] = user_id

    def leave(self, room, sid):
        with self._lock:
            self._rooms_of[sid].discard(room)
            self._members[room].pop(sid, None)

    def online_user_ids(self, room):
        with self._lock:
            return set(self._members.get(room, {}).values())

    def sids_of_user(self, user_id):
        with self._lock:
            return set(self._sids_of.get(user_id, ()))

    def session_records_of(self, sids):
        """{sid: session record id (or None)} for these sockets."""
        with self._lock:
            return {sid: self._record_of.get(sid) for sid in sids}

    def rooms_of(self, sid):
        with self._lock:
            return set(self._rooms_of.get(sid, ()))

    def local_session_records(self):
        """{sid: session record id} of the sockets connected to this process."""
        with self._lock:
            return dict(self._record_of)

    def prune(self):
        """Nothing to heal: the entries live and die with this process."""
        return set()

    def close(self):
        pass

    def clear(self):
        with self._lock:
            self.__init__()


class RedisPresence:
    """The same interface on Redis hashes and sets (shared by every server process).

    Self-healing: every entry belongs to the process that wrote it. A process keeps a heartbeat
    key alive (`proc:<id>`, TTL `ttl` seconds, renewed every `ttl / 3` by a background task);
    when a process dies without cleaning up (a crash, `kill -9`, an OOM kill), its key expires
    and the next reader — any process, at most every `prune_every` seconds — removes the dead
    process's sockets from every room, so its people drop out of "online". A process whose own
    key expired while it was alive (stalled past the TTL) writes its live sockets back.
    """

    def __init__(self, url, prefix="fb:", ttl=30, prune_every=None, heartbeat=True):
        import redis

        self._r = redis.Redis.from_url(url, decode_responses=True)
        self._p = prefix + "presence:"
        self.announced = {}
        self.ttl = ttl
        self.prune_every = ttl / 3 if prune_every is None else prune_every
        self.process_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._last_prune = 0.0
        self._lock = threading.Lock()
        self._local = {}  # sid -> (user id, record id, set of rooms): this process's own sockets
        self._stop = threading.Event()
        self._heartbeat = None
        self._want_heartbeat = heartbeat

    # --- the process's heartbeat ---------------------------------------------------------

    def _proc_key(self, process_id=None):
        return f"{self._p}proc:{process_id or self.process_id}"

    def _sids_key(self, process_id=None):
        return f"{self._p}proc_sids:{process_id or self.process_id}"

    def _start_heartbeat(self):
        """Start renewing the heartbeat key (once, on this process's first socket)."""
        if self._heartbeat is not None or not self._want_heartbeat:
            return
        with self._lock:
            if self._heartbeat is None:
                self._heartbeat = threading.Thread(target=self._beat_forever, name="presence-heartbeat", daemon=True)
                self._heartbeat.start()

    def _beat_forever(self):
        while not self._stop.wait(self.ttl / 3):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - Redis away for a moment: try again next time
                log.warning("presence heartbeat failed", exc_info=True)

    def beat(self):
        """Renew the heartbeat; if it had expired (this process stalled), write our sockets back."""
        alive = self._r.set(self._proc_key(), "1", ex=self.ttl, xx=True)
        with self._lock:
            local = {sid: (user_id, record_id, set(rooms)) for sid, (user_id, record_id, rooms) in self._local.items()}
        if alive or not local:
            return
        log.warning("presence: heartbeat of %s had expired; writing its %d sockets back", self.process_id, len(local))
        pipe = self._r.pipeline()
        self._register(pipe)
        for sid, (user_id, record_id, rooms) in local.items():
            self._write_socket(pipe, sid, user_id, record_id)
            for room in rooms:
                self._write_room(pipe, room, sid, user_id)
        pipe.execute()

    def _register(self, pipe):
        pipe.set(self._proc_key(), "1", ex=self.ttl)
        pipe.sadd(self._p + "procs", self.process_id)

    def close(self):
        """Stop the heartbeat and remove this process's entries (a clean shutdown)."""
        self._stop.set()
        with self._lock:
            sids = list(self._local)
        for sid in sids:
            self.disconnect(sid)
        pipe = self._r.pipeline()
        pipe.delete(self._proc_key(), self._sids_key())
        pipe.srem(self._p + "procs", self.process_id)
        pipe.execute()

    def prune(self):
        """Remove the sockets of processes whose heartbeat expired; returns the rooms touched."""
        self._last_prune = time.monotonic()
        touched = set()
        for process_id in self._r.smembers(self._p + "procs"):
            if process_id == self.process_id or self._r.exists(self._proc_key(process_id)):
                continue
            for sid in self._r.smembers(self._sids_key(process_id)):
                touched |= self._forget(sid)
            pipe = self._r.pipeline()
            pipe.delete(self._sids_key(process_id))
            pipe.srem(self._p + "procs", process_id)
            pipe.execute()
            log.warning("presence: removed the sockets of server process %s (no heartbeat)", process_id)
        return touched

    def _prune_if_due(self):
        if time.monotonic() - self._last_prune >= self.prune_every:
            self.prune()

    # --- the interface ---------------------------------------------------------------------

    def _write_socket(self, pipe, sid, user_id, record_id):
        pipe.hset(self._p + "user_of", sid, user_id)
        if record_id is not None:
            pipe.hset(self._p + "record_of", sid, record_id)
        pipe.sadd(f"{self._p}sids:{user_id}", sid)
        pipe.sadd(self._sids_key(), sid)

    def _write_room(self, pipe, room, sid, user_id):
        pipe.sadd(f"{self._p}rooms:{sid}", room)
        pipe.hset(f"{self._p}room:{room}", sid, user_id)

    def connect(self, sid, user_id, record_id=None):
        with self._lock:
            self._local[sid] = (user_id, record_id, set())
        pipe = self._r.pipeline()
        self._register(pipe)
        self._write_socket(pipe, sid, user_id, record_id)
        pipe.execute()
        self._start_heartbeat()

    def _forget(self, sid):
        """Remove every entry of one socket (of any process); returns its rooms."""
        user_id = self._r.hget(self._p + "user_of", sid)
        rooms = self._r.smembers(f"{self._p}rooms:{sid}")
        pipe = self._r.pipeline()
        pipe.hdel(self._p + "user_of", sid)
        pipe.hdel(self._p + "record_of", sid)
        if user_id is not None:
            pipe.srem(f"{self._p}sids:{user_id}", sid)
        for room in rooms:
            pipe.hdel(f"{self._p}room:{room}", sid)
        pipe.delete(f"{self._p}rooms:{sid}")
        pipe.execute()
        return set(rooms)

    def disconnect(self, sid):
        """Forget the socket; returns the rooms it was in."""
        with self._lock:
            self._local.pop(sid, None)
        rooms = self._forget(sid)
        self._r.srem(self._sids_key(), sid)
        return rooms

    def enter(self, room, sid, user_id):
        with self._lock:
            if sid in self._local:
                self._local[sid][2].add(room)
        pipe = self._r.pipeline()
        self._write_room(pipe, room, sid, user_id)
        pipe.execute()

    def leave(self, room, sid):
        with self._lock:
            if sid in self._local:
                self._local[sid][2].discard(room)
        pipe = self._r.pipeline()
        pipe.srem(f"{self._p}rooms:{sid}", room)
        pipe.hdel(f"{self._p}room:{room}", sid)
        pipe.execute()

    def online_user_ids(self, room):
        self._prune_if_due()
        return {int(v) for v in self._r.hvals(f"{self._p}room:{room}")}

    def sids_of_user(self, user_id):
        self._prune_if_due()
        return set(self._r.smembers(f"{self._p}sids:{user_id}"))

    def session_records_of(self, sids):
        sids = list(sids)
        values = self._r.hmget(self._p + "record_of", sids) if sids else []
        return {sid: int(v) if v is not None else None for sid, v in zip(sids, values, strict=True)}

    def rooms_of(self, sid):
        return set(self._r.smembers(f"{self._p}rooms:{sid}"))

    def local_session_records(self):
        """{sid: session record id} of the sockets connected to this process."""
        with self._lock:
            return {sid: record_id for sid, (_, record_id, _) in self._local.items()}

    def clear(self):
        self.announced.clear()
        with self._lock:
            self._local.clear()
        for key in self._r.scan_iter(self._p + "*"):
            self._r.delete(key)


def store():
    """The presence store of this application (created on first use)."""
    extensions = current_app.extensions
    if "rooms_presence" not in extensions:
        url = current_app.config.get("REDIS_URL")
        prefix = current_app.config.get("REDIS_KEY_PREFIX", "fb:")
        extensions["rooms_presence"] = RedisPresence(url, prefix) if url else MemoryPresence()
    return extensions["rooms_presence"]
