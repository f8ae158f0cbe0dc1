"""The Spanish catalogue: complete, current with the code, nothing fuzzy, placeholders intact.

`make messages` extracts the strings and updates translations/es/LC_MESSAGES/messages.po; these
tests fail until every new string there is translated (docs/i18n.md)."""

import re
import subprocess
import sys
from collections import Counter

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext, ngettext

from tests.catalogues import ROOT, placeholders, po_files, read

SPANISH = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
# Words the glossary rules out (person-first language, never "clean/dirty", "usted" not "vosotros").
BANNED = ("adicto", "adicta", "adictos", "adictas", "drogadicto", "limpio", "limpia", "sucio", "sucia", "vosotros")


def _entries():
    return [m for m in read(SPANISH) if m.id]


def _forms(message):
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _ids(message):
    return message.id if isinstance(message.id, tuple) else (message.id,)


def test_spanish_is_the_one_catalogue_and_has_spanish_plural_rules():
    assert po_files() == [SPANISH]
    catalog = read(SPANISH)
    assert str(catalog.locale) == "es"
    assert catalog.num_plurals == 2 and catalog.plural_expr.replace(" ", "") in ("(n!=1)", "n!=1")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The strings of the code now, extracted as `make messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    command = [sys.executable, "-c", "from babel.messages.frontend import main; main()", "extract", "-F", "babel.cfg"]
    command += ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-o", str(pot), "."]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        return read_po(f)


def test_every_string_of_the_code_is_in_the_catalogue(extracted):
    catalog = read(SPANISH)
    missing = [m.id for m in extracted if m.id and m.id not in catalog]
    assert not missing, f"{len(missing)} strings are not in the Spanish catalogue (run `make messages`): {missing[:10]}"
    assert len([m for m in extracted if m.id]) > 1000


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = _entries()
    untranslated = [m.id for m in entries if not all(form.strip() for form in _forms(m))]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:10]}"


def test_placeholders_are_the_same_in_every_translation_and_plural_form():
    wrong = []
    for message in _entries():
        ids = _ids(message)
        for n, form in enumerate(_forms(message)):
            # the singular form of a plural may follow msgid, every other form msgid_plural
            expected = {tuple(placeholders(ids[-1]))} | ({tuple(placeholders(ids[0]))} if n == 0 else set())
            if form and tuple(placeholders(form)) not in expected:
                wrong.append((ids[0], form))
    assert not wrong, "placeholders differ:\n" + "\n".join(f"{i!r} → {s!r}" for i, s in wrong[:15])


def test_the_spanish_follows_the_glossary_person_first_and_usted():
    found = []
    for message in _entries():
        for form in _forms(message):
            words = {w.strip(".,;:¡!¿?()«»\"'").lower() for w in form.split()}
            found += [(message.id, w) for w in BANNED if w in words]
    assert not found, found


def test_the_compiled_catalogue_is_the_one_the_portal_speaks(app):
    catalog = read(SPANISH)
    with app.test_request_context("/"), force_locale("es"):
        assert gettext("Sign in") == catalog["Sign in"].string
        assert ngettext("%(num)d hour", "%(num)d hours", 1) == catalog["%(num)d hour"].string[0].replace("%(num)d", "1")
        assert ngettext("%(num)d hour", "%(num)d hours", 5) == catalog["%(num)d hour"].string[1].replace("%(num)d", "5")


def test_no_msgid_is_in_the_catalogue_twice():
    """Entries appended by hand after a merge must not repeat one (Babel would keep only the last)."""
    text = SPANISH.read_text(encoding="utf-8")
    ids = []
    for entry in text.split("\n\n"):
        if entry.lstrip().startswith("#~"):
            continue
        found = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M)
        if found:
            ids.append("".join(re.findall(r'"(.*)"', found.group(1))))
    repeated = [msgid for msgid, count in Counter(ids).items() if count > 1]
    assert not repeated, repeated
