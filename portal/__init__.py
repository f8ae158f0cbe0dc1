"""Family Bridge: a portal for the families of clients in an Intensive Outpatient Program."""

import logging
from importlib import import_module
from pathlib import Path

from flask import Flask, g
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import database, errors, i18n, logs, static_assets, templating
from portal.config import INSTANCE, config_for, normalize_database_url
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
from portal.security import AnonymousUser, IdConverter, request_id, set_security_headers

# The feature packages (and the CLI, which imports them) are imported inside the register_*
# steps, so that importing a shared module such as portal.config does not load every feature.

FEATURES = ("main", "auth", "admin", "care", "notifications", "lessons", "rooms", "calendar")


def create_app(config=None, **overrides):
    """Build the application for PORTAL_ENV (or the config class/name given)."""
    config_class = config if isinstance(config, type) else config_for(config)
    app = Flask(
        __name__, template_folder="../templates", static_folder="../static", instance_path=str(_instance_path())
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.finalize(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    _postgresql_engine_options(app)
    register_extensions(app)
    register_blueprints(app)
    register_realtime(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    _trust_proxy(app)
    logs.redact_development_server_log()
    return app


def _postgresql_engine_options(app):
    """PostgreSQL: give up connecting after a few seconds. A server that is away without
    refusing (a dropped network) would otherwise hold every request and socket event for
    the operating system's TCP timeout, minutes, instead of answering 503 (issue 17). Pooled
    connections are checked without a round trip instead of pre-pinged (database.py)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = database.postgresql_options(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"connect_timeout": 5, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _trust_proxy(app):
    """Behind nginx: take the client address and scheme from X-Forwarded-For/-Proto, set by
    TRUSTED_PROXIES proxies (production: 1). Without it every request would come from
    127.0.0.1 and the per-address login limit would throttle the whole site at once."""
    hops = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _instance_path():
    INSTANCE.mkdir(parents=True, exist_ok=True)
    return INSTANCE


def import_models():
    """Import every model module so metadata (create_all, Alembic) sees all tables."""
    import_module("portal.audit")
    import_module("portal.mail.models")
    for feature in ("auth", "care", "notifications", "lessons", "rooms", "calendar"):
        import_module(f"portal.{feature}.models")


def register_extensions(app):
    import_models()
    db.init_app(app)
    database.configure(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # session records do this job
    login_manager.anonymous_user = AnonymousUser
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        **_message_queue(app),
        cors_allowed_origins=_allowed_origins(app),
        max_http_buffer_size=64 * 1024,
        manage_session=False,
    )


def _message_queue(app):
    """Several processes share events through Redis, with a queue manager that survives Redis
    going away and catches its sockets up when it returns (portal/rooms/relay.py)."""
    url = app.config.get("REDIS_URL")
    if not url:
        # None, not absent: the shared SocketIO object would keep an earlier app's manager
        return {"client_manager": None}
    from portal.rooms.relay import ResilientRedisManager

    channel = app.config.get("SOCKETIO_CHANNEL", "flask-socketio")
    return {"client_manager": ResilientRedisManager(url, channel=channel, app=app)}


def _allowed_origins(app):
    base = app.config["PORTAL_BASE_URL"].rstrip("/")
    extra = [o for o in app.config.get("SOCKETIO_EXTRA_ORIGINS", []) if o]
    return [base, *extra]


def register_blueprints(app):
    app.url_map.converters["int"] = IdConverter  # before any rule is added
    for feature in FEATURES:
        package = import_module(f"portal.{feature}")
        for module in package.VIEWS:
            import_module(f"portal.{feature}.{module}")
        app.register_blueprint(package.bp)


def register_realtime(app):
    """The /chat Socket.IO handlers, on the server register_extensions made for this app."""
    from portal.rooms.events import register_realtime

    register_realtime(app)


def register_request_hooks(app):
    from portal.auth.sessions import current_session_record, touch_session

    @app.before_request
    def start_request():
        g.request_id = request_id()
        if static_assets.is_static_request():
            return  # the same file for everyone: no session, no database (portal/static_assets.py)
        record = current_session_record()
        if record is not None and not record.mfa_pending:
            touch_session(record)

    app.before_request(i18n.remember_requested_language)
    app.after_request(set_security_headers)
    static_assets.register(app)


def register_errorhandlers(app):
    errors.register(app)


def register_template_helpers(app):
    templating.register(app)


def register_commands(app):
    from portal import cli

    cli.register(app)


logging.getLogger("portal").addHandler(logging.NullHandler())
