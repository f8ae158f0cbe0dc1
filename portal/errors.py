"""Error pages in the client's language: HTML for browsers, JSON for API callers."""

import logging

from flask import Request, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import BadRequest, HTTPException

from portal.extensions import db

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

    def on_json_loading_failed(self, e):
        if e is None:  # not a JSON content type: Flask's own 415
            return super().on_json_loading_failed(e)
        raise UnreadableJson()


def wants_json():
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def respond(code, message=None):
    message = message or MESSAGES.get(code, MESSAGES[500])()
    if wants_json():
        return jsonify(error=code, message=message), code
    return render_template("errors/error.html", code=code, message=message), code


def unavailable():
    """The 503 page renders without touching the database (it may be the thing that is down)."""
    message = MESSAGES[503]()
    if wants_json():
        return jsonify(error=503, message=message), 503
    return render_template("errors/unavailable.html", message=message), 503


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
    def database_down(error):
        db.session.rollback()
        if isinstance(error, OperationalError):
            log.error("database unavailable: %s", type(error.orig).__name__)
            return unavailable()
        log.exception("database error")
        return respond(500)

    @app.errorhandler(UnicodeDecodeError)
    def bad_encoding(error):
        return respond(400, _("Text must be valid UTF-8."))

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        log.exception("unhandled error")
        return respond(500)
