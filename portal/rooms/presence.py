"""Who is connected where: sockets per user, rooms per socket, online people per room.

One small interface with two stores: in-process (development, tests, one server) and Redis
(`REDIS_URL`), so several server processes agree on who is online and whose sockets to drop.
"""

import threading
from collections import defaultdict

from flask import current_app


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

    def clear(self):
        with self._lock:
            self.__init__()


class RedisPresence:
    """The same interface on Redis hashes and sets (shared by every server process)."""

    def __init__(self, url, prefix="fb:"):
        import redis

        self._r = redis.Redis.from_url(url, decode_responses=True)
        self._p = prefix + "presence:"
        self.announced = {}

    def connect(self, sid, user_id, record_id=None):
        pipe = self._r.pipeline()
        pipe.hset(self._p + "user_of", sid, user_id)
        if record_id is not None:
            pipe.hset(self._p + "record_of", sid, record_id)
        pipe.sadd(f"{self._p}sids:{user_id}", sid)
        pipe.execute()

    def disconnect(self, sid):
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

    def enter(self, room, sid, user_id):
        pipe = self._r.pipeline()
        pipe.sadd(f"{self._p}rooms:{sid}", room)
        pipe.hset(f"{self._p}room:{room}", sid, user_id)
        pipe.execute()

    def leave(self, room, sid):
        pipe = self._r.pipeline()
        pipe.srem(f"{self._p}rooms:{sid}", room)
        pipe.hdel(f"{self._p}room:{room}", sid)
        pipe.execute()

    def online_user_ids(self, room):
        return {int(v) for v in self._r.hvals(f"{self._p}room:{room}")}

    def sids_of_user(self, user_id):
        return set(self._r.smembers(f"{self._p}sids:{user_id}"))

    def session_records_of(self, sids):
        sids = list(sids)
        values = self._r.hmget(self._p + "record_of", sids) if sids else []
        return {sid: int(v) if v is not None else None for sid, v in zip(sids, values, strict=True)}

    def rooms_of(self, sid):
        return set(self._r.smembers(f"{self._p}rooms:{sid}"))

    def clear(self):
        self.announced.clear()
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
