"""Time helpers: everything is stored in UTC and shown in the viewer's zone."""

from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow():
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Stores naive UTC, returns aware UTC, refuses naive input (so no local time sneaks in)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
