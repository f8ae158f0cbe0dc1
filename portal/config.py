"""Configuration classes, read from the environment (a contract: docs/architecture.md)."""

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("PORTAL_INSTANCE_PATH", ROOT / "instance"))


class ConfigError(RuntimeError):
    """The environment does not describe a configuration that may start."""


def _flag(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key():
    """A random key generated once into instance/ so development sessions survive restarts."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def parse_keys(value):
    """MFA_ENCRYPTION_KEYS as a list of Fernet keys; ValueError names a key that is not one."""
    keys = []
    for position, item in enumerate((value or "").split(","), start=1):
        item = item.strip()
        if not item:
            continue
        try:
            Fernet(item)
        except (ValueError, TypeError):
            raise ValueError(
                f"MFA_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 bytes in urlsafe base64; make one with Fernet.generate_key())."
            ) from None
        keys.append(item.encode())
    return keys


def _check_mfa_keys(config):
    """Refuse to start with an MFA_ENCRYPTION_KEYS entry that is not a Fernet key."""
    try:
        parse_keys(config.get("MFA_ENCRYPTION_KEYS"))
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _note_base_url(cls, config):
    """Whether PORTAL_BASE_URL was given (production refuses to email links without it)."""
    given = bool(os.environ.get("PORTAL_BASE_URL")) or config.get("PORTAL_BASE_URL", cls.PORTAL_BASE_URL) != (
        cls.PORTAL_BASE_URL
    )
    config["PORTAL_BASE_URL_SET"] = given


def _rate_limit_storage(config):
    """Flask-Limiter's counters in Redis when REDIS_URL is set (else in memory), named under
    REDIS_KEY_PREFIX like every other key: `<prefix>limits:LIMITER/http/...` (the chat limit,
    portal/rooms/ratelimit.py, uses `<prefix>limits:LIMITER/chat-send:...`)."""
    config["RATELIMIT_STORAGE_URI"] = config.get("REDIS_URL") or "memory://"
    config["RATELIMIT_STORAGE_OPTIONS"] = {"key_prefix": f"{config['REDIS_KEY_PREFIX']}limits"}
    config["RATELIMIT_KEY_PREFIX"] = "http"


class BaseConfig:
    PORTAL_ENV = "development"
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'portal.sqlite3'}"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Everything the portal keeps in Redis is named under this prefix (rate-limit counters,
    # presence, the Socket.IO pub/sub channel), so several portals or test runs can share one
    # Redis server and an operator can find or clear exactly the portal's keys.
    REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "fb:")
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL") or f"{REDIS_KEY_PREFIX}socketio"
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '5000')}")
    PORTAL_NAME = "Family Bridge"
    # The treatment center's name, printed on documents a client is given (the accounting of
    # disclosures). Without it the portal's name is used.
    CENTER_NAME = os.environ.get("CENTER_NAME") or PORTAL_NAME
    # Neutral wording for anything that leaves the portal (email subjects, calendar feeds).
    NEUTRAL_EVENT_TITLE = os.environ.get("NEUTRAL_EVENT_TITLE", "Family session")
    # `flask reminders send` mails family members this many hours before a session.
    REMINDER_LEAD_HOURS = int(os.environ.get("REMINDER_LEAD_HOURS", "24"))
    # Every server process announces consents that passed their date and closes the sockets of
    # sessions that idled out this often (portal/upkeep.py); 0 = off (cron only).
    CONSENT_EXPIRY_INTERVAL_SECONDS = float(os.environ.get("CONSENT_EXPIRY_INTERVAL_SECONDS", "60"))
    # An unhandled crisis post alerts the next backup on call after this many minutes.
    CRISIS_ESCALATION_MINUTES = float(os.environ.get("CRISIS_ESCALATION_MINUTES", "10"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _flag("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Family Bridge <no-reply@family-bridge.local>")
    MAIL_OUTBOX = str(INSTANCE / "outbox")
    MAIL_TIMEOUT_SECONDS = 10
    # The outgoing-mail queue (portal/mail, docs/deploy.md): each server process looks for due
    # messages this often (0 = never; tests deliver by hand), retries after 30 s, 1 min, 2 min, …
    # up to an hour apart, and gives a message up once it has waited MAIL_MAX_AGE_HOURS.
    MAIL_QUEUE_POLL_SECONDS = float(os.environ.get("MAIL_QUEUE_POLL_SECONDS", "10"))
    MAIL_RETRY_BASE_SECONDS = 30
    MAIL_RETRY_MAX_SECONDS = 3600
    MAIL_MAX_AGE = timedelta(hours=float(os.environ.get("MAIL_MAX_AGE_HOURS", "24")))
    # A claimed message is retried after this long if its process died while sending it.
    MAIL_CLAIM_SECONDS = 300

    SESSION_COOKIE_NAME = "fb_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Send the cookie only when the session changed. Refreshing it on every response let a slow
    # response (a stylesheet) overwrite a newer cookie. (The cookie holds only the session id and
    # CSRF token; anything secret, like the two-step setup key, stays on the server.)
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_IDLE_FAMILY = timedelta(minutes=int(os.environ.get("SESSION_IDLE_FAMILY_MINUTES", "30")))
    SESSION_IDLE_STAFF = timedelta(minutes=int(os.environ.get("SESSION_IDLE_STAFF_MINUTES", "15")))
    SESSION_ABSOLUTE = timedelta(hours=12)
    SESSION_WARNING = timedelta(minutes=2)

    WTF_CSRF_TIME_LIMIT = None  # the session's own lifetime bounds the token
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

    # Development and tests use threads; production runs gunicorn's gevent worker.
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "threading")
    # Who is online is broadcast at most once per this many seconds per room and process: a
    # reconnect storm of N people would otherwise send ~N²/2 full lists. 0 = at once (tests).
    ROOMS_PRESENCE_INTERVAL = 1.0

    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Redis away: HTTP limits count in this process's memory (Flask-Limiter logs a warning and
    # asks Redis again later) instead of failing the request (issue 17: sign-in gave a 500).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Failed sign-ins from one address for one account (a family behind the clinic's NAT address
    # does not block the others), and from one address for all accounts together (password
    # spraying). Per account, failures cost increasing delays instead (auth/throttle.py).
    LOGIN_LIMIT_PER_IP = "20 per 5 minutes"
    LOGIN_LIMIT_PER_IP_ALL_ACCOUNTS = "100 per 5 minutes"

    EMAIL_TOKEN_LIFETIME = timedelta(hours=24)
    RESET_TOKEN_LIFETIME = timedelta(hours=1)
    STAFF_INVITATION_LIFETIME = timedelta(days=7)

    # Staff (moderator, counselor, admin) must use two-factor sign-in when this is on.
    MFA_REQUIRED_FOR_STAFF = _flag("MFA_REQUIRED_FOR_STAFF", False)
    # Optional: comma-separated Fernet keys for authenticator secrets at rest (the first
    # encrypts, all decrypt). Without it the key is derived from SECRET_KEY (auth/secretbox.py).
    MFA_ENCRYPTION_KEYS = os.environ.get("MFA_ENCRYPTION_KEYS", "")

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ["en", "es"]
    # The catalogues (translations/<lang>/LC_MESSAGES/messages.po, compiled to .mo by make).
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent.parent / "translations")
    # Flask-WTF: the built-in WTForms messages ("This field is required.") in the page's language.
    WTF_I18N_ENABLED = True
    HSTS = False

    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "family-bridge-demo")

    @classmethod
    def finalize(cls, config):
        """Fill values that depend on the environment at start-up."""
        _note_base_url(cls, config)
        config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _dev_secret_key()
        if not config["RATELIMIT_ENABLED"]:
            logging.getLogger("portal").warning("RATELIMIT_ENABLED=0: HTTP and chat rate limits are OFF")
        _rate_limit_storage(config)
        _check_mfa_keys(config)


class DevelopmentConfig(BaseConfig):
    @classmethod
    def finalize(cls, config):
        super().finalize(config)
        # The development server answers on both loopback names; chat must accept either origin.
        port = os.environ.get("PORT", "5000")
        config["SOCKETIO_EXTRA_ORIGINS"] = [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]


class TestingConfig(BaseConfig):
    PORTAL_ENV = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL_RUN", "sqlite://")
    REDIS_URL = None
    MAIL_SERVER = None
    WTF_CSRF_ENABLED = True
    MFA_REQUIRED_FOR_STAFF = False
    PORTAL_BASE_URL = "http://localhost"
    ROOMS_PRESENCE_INTERVAL = 0
    MAIL_QUEUE_POLL_SECONDS = 0

    @classmethod
    def finalize(cls, config):
        _note_base_url(cls, config)
        config.setdefault("SECRET_KEY", None)
        config["SECRET_KEY"] = config["SECRET_KEY"] or "testing-secret-key-not-for-production"
        _rate_limit_storage(config)
        _check_mfa_keys(config)


class ProductionConfig(BaseConfig):
    PORTAL_ENV = "production"
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "gevent")
    SESSION_COOKIE_SECURE = True
    HSTS = True
    MFA_REQUIRED_FOR_STAFF = _flag("MFA_REQUIRED_FOR_STAFF", True)
    PREFERRED_URL_SCHEME = "https"
    # Under gevent many greenlets share one process: a larger pool, and SQL parameters (which
    # may hold message text or email addresses) are kept out of error messages and logs.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "pool_size": int(os.environ.get("DB_POOL_SIZE", "10")),
        "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "20")),
        "pool_timeout": 30,
        "hide_parameters": True,
    }
    # Proxies in front that append to X-Forwarded-For (nginx on the same host: 1; none: 0).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "1"))

    @classmethod
    def finalize(cls, config):
        key = os.environ.get("SECRET_KEY", "")
        if len(key) < 32 or key in {"change-me", "secret", "dev"}:
            raise ConfigError("Production needs SECRET_KEY: at least 32 random characters.")
        if not os.environ.get("DATABASE_URL"):
            raise ConfigError("Production needs DATABASE_URL (PostgreSQL).")
        config["SECRET_KEY"] = key
        _note_base_url(cls, config)
        _rate_limit_storage(config)
        if not config["RATELIMIT_ENABLED"]:
            logging.getLogger("portal").warning("RATELIMIT_ENABLED=0: HTTP and chat rate limits are OFF")
        _check_mfa_keys(config)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name=None):
    """The config class for PORTAL_ENV (or the name given)."""
    name = name or os.environ.get("PORTAL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None


def normalize_database_url(url):
    """Use psycopg 3 for the usual postgresql:// address."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
