"""Secrets kept out of the development server's request log, as gunicorn.conf.py keeps them out of
the production access log: feed, verification and reset tokens in paths are written as
`[redacted]`, query strings are dropped. (gunicorn.conf.py holds a copy of these two patterns
because it must not import the portal; tests/test_logs.py checks that both agree.)"""

import logging
import re

_SECRET_AFTER = re.compile(r"^(/calendar/feed/|/auth/verify/|/auth/reset/)[^/]+")
_TOKENISH = re.compile(r"(?<=/)[A-Za-z0-9_\-.~]{24,}(?=/|$)")
_PATH_IN_LINE = re.compile(r"(/[^\s\"?]*)(\?[^\s\"]*)?")


def redact_path(path):
    """The request path with secret segments replaced, for logs."""
    path = _SECRET_AFTER.sub(r"\1[redacted]", path or "")
    return _TOKENISH.sub("[redacted]", path)


def redact_line(text):
    """A log line with every path in it redacted and its query string dropped."""
    return _PATH_IN_LINE.sub(lambda match: redact_path(match.group(1)), text)


class RedactingFilter(logging.Filter):
    """Rewrites each record of the logger it is on (werkzeug's request lines) before any handler."""

    def filter(self, record):
        record.msg, record.args = redact_line(record.getMessage()), None
        return True


def redact_development_server_log():
    """Put the filter on werkzeug's logger once (the development server writes its requests there)."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
