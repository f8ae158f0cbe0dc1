"""The translation catalogues, for the tests: compile a stale .mo, read a .po, compare placeholders.

`make test` compiles each translations/<lang>/LC_MESSAGES/messages.mo from its .po (a file
target); a test run started with pytest directly compiles the ones missing or older than their
.po here, before any app starts (each writer replaces the file whole, so xdist workers may race).
"""

import os
import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
# %(name)s %(num)d %s %d %% and {name} {0} {}: what Python and Jinja fill in, and str.format
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr%]|\{\w*\}")


def po_files():
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def read(po_path):
    with po_path.open("rb") as f:
        return read_po(f, locale=po_path.parent.parent.name)


def compile_stale():
    for po_path in po_files():
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalog = read(po_path)
        partial = mo_path.with_name(f".messages-{os.getpid()}.mo")
        with partial.open("wb") as f:
            write_mo(f, catalog)  # fuzzy entries are left out, as `pybabel compile` does
        os.replace(partial, mo_path)


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text or ""))
