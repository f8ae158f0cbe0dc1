"""Display-name rules: what others see in rooms, so it must be readable and never an email."""

import ipaddress
import re
import unicodedata

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _

from portal.extensions import db

MIN_LENGTH = 2
MAX_LENGTH = 40
EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# Control, format (zero-width, bidi overrides), private-use, surrogate and line/paragraph marks.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def clean_display_name(name):
    """The name with surrounding whitespace removed."""
    return (name or "").strip()


# Letters that look alike in common fonts, folded to one Latin letter (after NFKC and
# casefold), so "Mоrgan" with a Cyrillic "о" or "M0rgan" is the same name as "Morgan".
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a",
        "в": "b",
        "с": "c",
        "е": "e",
        "ё": "e",
        "һ": "h",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "ѕ": "s",
        "т": "t",
        "у": "y",
        "х": "x",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "ɡ": "g",
        "ӏ": "l",
        # Greek
        "α": "a",
        "β": "b",
        "ε": "e",
        "η": "n",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ω": "w",
        "ς": "c",
        "σ": "o",
        # Latin look-alikes and digits used as letters
        "ı": "i",
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ß": "ss",
        "0": "o",
        "1": "l",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "$": "s",
        "@": "a",
        "|": "l",
    }
)
_NOT_LETTER = re.compile(r"[^a-z]+")
_WORD_BREAK = re.compile(r"[^\w$@|]+")
RESERVED_WORDS = ("moderator", "moderators", "counselor", "counsellor", "admin", "administrator", "staff")
# Checks other features add (rooms: its watched words); each takes the name and returns
# a reason (str) or None. Registered at import, like main.dashboard.register_panel.
NAME_CHECKS = []


def register_name_check(check):
    NAME_CHECKS.append(check)
    return check


def _fold(text):
    """NFKC, casefold, strip accents, then fold look-alike letters."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.translate(_CONFUSABLES)


def name_key(name):
    """The comparison key for uniqueness: folded, letters only ("Mоrgan  " == "m0rgan")."""
    return _NOT_LETTER.sub("", _fold(clean_display_name(name)))


def _words(name):
    return [_NOT_LETTER.sub("", w) for w in _WORD_BREAK.split(_fold(name)) if w]


def _reserved():
    words = list(RESERVED_WORDS)
    if has_app_context():
        words.append(current_app.config.get("CENTER_NAME") or "")
        words.append(current_app.config.get("PORTAL_NAME") or "")
    return [key for key in (name_key(w) for w in words) if key]


def reserved_word_in(name):
    """True when the name claims a staff role or the center's name: a whole word
    ("Morgan (moderator)", "M0DERATOR"), or run together ("TheModerator", "familybridge")."""
    words, key = _words(name), name_key(name)
    return any(reserved in words or (len(reserved) >= 6 and reserved in key) for reserved in _reserved())


# The two columns name_taken reads, named without importing the model (auth.models imports
# this module for name_key).
_USERS = sa.table("users", sa.column("id"), sa.column("name_key"))


def name_taken(name, owner_id=None):
    """True when another account's display name folds to the same key (one indexed lookup)."""
    key = name_key(name)
    if not key:
        return False
    query = sa.select(_USERS.c.id).where(_USERS.c.name_key == key, _USERS.c.id != (owner_id or 0)).limit(1)
    return db.session.execute(query).first() is not None


def display_name_problems(name):
    """Plain-language reasons the display name is refused (empty when it is fine)."""
    name = clean_display_name(name)
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        return [_("Use between %(low)d and %(high)d characters.", low=MIN_LENGTH, high=MAX_LENGTH)]
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in name):
        return [_("Use letters, numbers, spaces and ordinary punctuation only.")]
    if EMAIL_LIKE.search(name):
        return [_("Please do not use an email address as your display name; others would see it.")]
    return []


def chosen_name_problems(name, owner=None):
    """Why a name a person chooses in a form (sign-up, account page, staff invitation) is
    refused: besides display_name_problems, a new name (folded, not the owner's current one)
    must be free of reserved and watched words and not look like another account's name.
    The `flask users create` command keeps only the basic rules (operators name staff)."""
    problems = display_name_problems(name)
    if problems:
        return problems
    if owner is not None and name_key(owner.display_name) == name_key(name):
        return []  # unchanged, or only its case or spacing changed
    if reserved_word_in(name):
        return [
            _(
                "Please leave out words like “moderator”, “counselor”, “admin”, “staff” or the "
                "center's name: staff are shown with a badge from their role, so a name cannot claim one."
            )
        ]
    for check in NAME_CHECKS:
        reason = check(name)
        if reason:
            return [reason]
    if name_taken(name, owner.id if owner is not None else None):
        return [_("Someone already uses this name, or one that looks the same. Please choose another.")]
    return []


_BROWSERS = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
_SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def describe_browser(user_agent):
    """A short, human name for a User-Agent string, such as "Chrome on Android"."""
    ua = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in ua), None)
    system = next((name for marker, name in _SYSTEMS if marker in ua), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")


def coarse_place(ip):
    """Roughly where a session came from, without the full address: the network an IPv4
    address is in (its first three parts) or an IPv6 address's /48 prefix."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return _("unknown")
    if address.is_loopback:
        return _("this computer")
    if address.version == 4:
        return ".".join(str(address).split(".")[:3]) + ".…"
    network = ipaddress.ip_network(f"{address}/48", strict=False)
    return str(network.network_address).rstrip(":") + ":…"
