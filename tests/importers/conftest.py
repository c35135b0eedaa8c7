"""Fixtures of the importer tests: the real ccusage binary and Claude config dirs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from .ccusage import ccusage_bin

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
if str(REPO) not in sys.path:  # the corpus generator lives in benchmarks/
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="session")
def ccusage() -> str:
    return ccusage_bin()


@pytest.fixture
def spotter_config(tmp_path: Path) -> Path:
    """The real transcripts laid out as a Claude config dir (as in the data README)."""
    root = tmp_path / "claude"
    target = root / "projects" / "spotter"
    shutil.copytree(SHARED_DATA / "claude-code" / "marot-spotter", target)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root
