"""Display-name rules: what others see in rooms, so it must be readable and never an email."""

import ipaddress
import re
import unicodedata

from flask_babel import gettext as _

MIN_LENGTH = 2
MAX_LENGTH = 40
EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# Control, format (zero-width, bidi overrides), private-use, surrogate and line/paragraph marks.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def clean_display_name(name):
    """The name with surrounding whitespace removed."""
    return (name or "").strip()


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
