"""Error pages in the client's language: HTML for browsers, JSON for API callers."""

import logging
from urllib.parse import urlsplit

from flask import Request, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException

from portal.extensions import db
from portal.security import safe_next

log = logging.getLogger("portal.errors")

MESSAGES = {
    400: lambda: _("The request could not be understood. Please check what you entered and try again."),
    403: lambda: _("You do not have permission to open this page."),
    404: lambda: _("We could not find that page."),
    405: lambda: _("That action is not allowed here."),
    413: lambda: _("What you sent is too large. Please shorten it and try again."),
    429: lambda: _("Too many attempts in a short time. Please wait a few minutes and try again."),
    500: lambda: _("Something went wrong on our side. Nothing you did caused this."),
    503: lambda: _("The portal is briefly unavailable. Please try again in a few minutes."),
}


class UnreadableJson(BadRequest):
    """A request body that is not a JSON object we can read (malformed, nested too deeply to
    parse, or a list or a number where a form's fields are expected)."""


class PortalRequest(Request):
    """The request class: every JSON body that fails to parse is a 400, wherever it is read (a
    view, Flask-WTF's form data). Without this, json.loads's RecursionError on deeply nested
    brackets is not a ValueError, so neither `silent=True` nor Flask's own handler catch it."""

    def get_json(self, force=False, silent=False, cache=True):
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as error:
            if silent:
                return None
            return self.on_json_loading_failed(ValueError(str(error)))

    @property
    def routing_exception(self):
        """What matching the URL ended in (a 404, a 405, a redirect to the canonical URL), which
        Flask raises on dispatch; None when a route matched."""
        return self.__dict__.get("_routing_exception")

    @routing_exception.setter
    def routing_exception(self, error):
        # Flask keeps the error with its traceback and the routing error it came from, whose
        # frames lead back to the request context: context → request → error → frames →
        # context, a cycle only the garbage collector frees. Every Socket.IO event opens a
        # request context for a URL no route matches, so under load these cycles piled up in
        # the oldest generation (half the objects a full collection walked,
        # docs/performance.md). Without them the context is freed the moment it is popped;
        # Flask re-raises the error (with a traceback of its own) when the request is dispatched.
        if error is not None:
            error.__traceback__ = error.__cause__ = error.__context__ = None
        self.__dict__["_routing_exception"] = error

    def on_json_loading_failed(self, e):
        if e is None:  # not a JSON content type: Flask's own 415
            return super().on_json_loading_failed(e)
        raise UnreadableJson()


def wants_json():
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


RETRY_AFTER = 10  # seconds a client should wait before trying again during an outage


def is_outage(error):
    """Whether an exception means the database (or its connection) is away, not bad input: the
    answer is then 503, never 500 (issue 17)."""
    if isinstance(error, OperationalError | InterfaceError | PendingRollbackError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def is_redis_outage(error):
    """Whether an exception means Redis is away (rate limits, presence, the message queue)."""
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeout
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(error, RedisConnectionError | RedisTimeout)


def mark_database_down():
    """For the rest of this request or socket event nothing may ask the database again: the
    session record, the user and their locale are not loaded (see security and i18n)."""
    g.database_down = True
    g.session_record = None
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool discards it
        log.debug("rollback after an outage failed")


# Functions a feature registers (`explain_denials`) to tell a person, on a 403 or 404 page, what
# changed for them and whom to ask — this module imports no feature. Each takes the status code
# and returns None or {"text": str, "link": url, "link_label": str}.
_explainers = []


def explain_denials(explainer):
    _explainers.append(explainer)
    return explainer


def _explanations(code):
    if code not in (403, 404) or g.get("database_down"):
        return []
    notes = []
    for explainer in _explainers:
        try:
            note = explainer(code)
        except Exception:  # noqa: BLE001 - an explanation is a courtesy; the error page must still show
            log.exception("error page explainer failed")
            db.session.rollback()
            continue
        if note:
            notes.append(note)
    return notes


def _way_back():
    """A same-site page the person came from, if the browser said so (never another site)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    back = safe_next(path, default="main.home")
    return None if back == request.full_path.rstrip("?") or back == request.path else back


def respond(code, message=None):
    message = message or MESSAGES.get(code, MESSAGES[500])()
    if wants_json():
        return jsonify(error=code, message=message), code
    try:
        return render_template(
            "errors/error.html", code=code, message=message, notes=_explanations(code), back=_way_back()
        ), code
    except Exception as error:
        # The site layout asks for the signed-in person; if that fails too (the database went
        # away meanwhile), the page that needs nothing from it still says what happened.
        if not is_outage(error):
            raise
        mark_database_down()
        return unavailable()


def unavailable():
    """The 503 page renders without touching the database (it may be the thing that is down)."""
    g.database_down = True
    message = MESSAGES[503]()
    if wants_json():
        response = jsonify(error=503, message=message)
    else:
        response = render_template("errors/unavailable.html", message=message)
    return response, 503, {"Retry-After": str(RETRY_AFTER)}


def _has_nul(values):
    return any("\x00" in key or any("\x00" in v for v in vs) for key, vs in values.lists())


def refuse_nul_characters():
    """A NUL character in the address or a form is never meant: PostgreSQL cannot store or even
    compare it (a query with one fails), so it is a 400 before any view runs."""
    if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
        return respond(400, _("What you sent contains a character that is not allowed (NUL)."))
    return None


def refuse_unreadable_json():
    """Every JSON body the portal takes is an object: anything else is a 400 before any view runs
    (Flask-WTF would otherwise fail turning a list or a number into form data)."""
    has_body = request.method in ("POST", "PUT", "PATCH", "DELETE")
    if has_body and request.is_json and not isinstance(request.get_json(), dict):
        raise UnreadableJson()
    return None


def register(app):
    app.request_class = PortalRequest
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_unreadable_json)

    @app.errorhandler(UnreadableJson)
    def unreadable_json(error):
        return jsonify(error=400, message=_("The request body is not a valid JSON object.")), 400

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return respond(
            400, _("Your form expired or was sent from elsewhere. Please go back, reload the page and try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code not in MESSAGES and error.code < 500:
            return respond(error.code, error.description)
        return respond(error.code if error.code in MESSAGES else 500)

    @app.errorhandler(DataError)
    def bad_data(error):
        """The database refused a value (out of range, too long, malformed): bad input, not a crash."""
        db.session.rollback()
        log.warning("database refused a value: %s", type(error.orig).__name__)
        return respond(400)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PendingRollbackError)
    @app.errorhandler(PoolTimeout)
    def database_down(error):
        if is_outage(error):
            mark_database_down()
            log.error("database unavailable: %s", type(getattr(error, "orig", None) or error).__name__)
            return unavailable()
        db.session.rollback()
        log.exception("database error")
        return respond(500)

    @app.errorhandler(UnicodeDecodeError)
    def bad_encoding(error):
        return respond(400, _("Text must be valid UTF-8."))

    @app.errorhandler(Exception)
    def unexpected(error):
        try:
            db.session.rollback()
        except Exception as failed:  # noqa: BLE001
            if not is_outage(failed):
                raise
            mark_database_down()
            return unavailable()
        log.exception("unhandled error")
        return respond(500)
