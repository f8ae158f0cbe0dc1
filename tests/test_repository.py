"""What the repository holds: nothing of one developer's machine.

A link committed by accident (a worktree's `.venv` pointing to a shared environment) replaced
the environment folder of every checkout with a link to itself.
"""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTALLED = (".venv", "node_modules", "static/vendor/", "instance/")


def _tracked():
    """(mode, path) of every file git tracks here."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "--stage", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    entries = []
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        entries.append((meta.split()[0], path))
    return entries


def test_nothing_that_make_installs_is_committed():
    installed = [path for _, path in _tracked() if path.startswith(INSTALLED)]
    assert not installed, f"installed by make, not committed: {installed}"


def test_committed_links_stay_inside_the_repository():
    for mode, path in _tracked():
        if mode != "120000":
            continue
        target = (ROOT / path).parent / Path((ROOT / path).readlink())
        assert not Path((ROOT / path).readlink()).is_absolute(), f"{path} links to an absolute path"
        assert ROOT in target.resolve().parents, f"{path} links outside the repository"
