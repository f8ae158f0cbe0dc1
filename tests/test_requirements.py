"""The compiled requirement files agree with the .in files they are compiled from.

`make requirements` compiles requirements.in and requirements-dev.in with pip-compile. These
tests read the files only (no network), so they fail as soon as a .in file changes without a
new compile: a direct dependency added, dropped or pinned differently.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")
VIA = re.compile(r"#\s+(?:via\s+)?-r (\S+)")


def _name(raw):
    return re.sub(r"[-_.]+", "-", raw).lower()


def direct_pins(in_file):
    """{name: version} for each requirement of an .in file, following `-r` includes."""
    pins = {}
    for line in (ROOT / in_file).read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line.startswith("-r "):
            pins.update(direct_pins(line[3:].strip()))
        elif line and not line.startswith(("#", "-")):
            match = PIN.match(line)
            assert match, f"{in_file}: {line!r} is not pinned with =="
            pins[_name(match.group(1))] = match.group(2)
    return pins


def compiled(txt_file):
    """{name: (version, hashes, the .in files it is there for)} from a pip-compile output."""
    out = {}
    current = None
    for line in (ROOT / txt_file).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = _name(match.group(1))
            out[current] = (match.group(2), [], set())
        elif current and "--hash=sha256:" in line:
            out[current][1].append(line.split("--hash=sha256:")[1].strip(" \\"))
        elif current:
            out[current][2].update(VIA.findall(line))
    return out


def test_every_compiled_package_is_pinned_with_hashes():
    for txt in ("requirements.txt", "requirements-dev.txt"):
        packages = compiled(txt)
        assert len(packages) > 40, f"{txt} looks empty"
        for name, (version, hashes, _) in packages.items():
            assert hashes, f"{txt}: {name}=={version} has no --hash (compile with --generate-hashes)"


def test_runtime_file_is_compiled_from_requirements_in():
    expected = direct_pins("requirements.in")
    packages = compiled("requirements.txt")
    direct = {name for name, (_, _, via) in packages.items() if "requirements.in" in via}
    assert direct == set(expected), "requirements.txt is out of date with requirements.in: run `make requirements`"
    for name, version in expected.items():
        pinned = packages[name][0]
        assert pinned == version, f"{name}: requirements.in says {version}, requirements.txt {pinned}"


def test_dev_file_is_compiled_from_both_in_files():
    expected = direct_pins("requirements-dev.in")
    packages = compiled("requirements-dev.txt")
    direct = {name for name, (_, _, via) in packages.items() if via & {"requirements.in", "requirements-dev.in"}}
    assert direct == set(expected), "requirements-dev.txt is out of date with the .in files: run `make requirements`"
    for name, version in expected.items():
        pinned = packages[name][0]
        assert pinned == version, f"{name}: the .in files say {version}, requirements-dev.txt {pinned}"


def test_dev_file_installs_the_runtime_pins():
    runtime = compiled("requirements.txt")
    dev = compiled("requirements-dev.txt")
    for name, (version, _, _) in runtime.items():
        assert dev.get(name, (None,))[0] == version, f"{name}: {version} at run time, {dev.get(name)} in development"


def test_the_dependency_the_code_imports_is_declared():
    """blinker (the consent signals) was used but came only through Flask."""
    assert "blinker" in direct_pins("requirements.in")
