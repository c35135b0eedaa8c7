"""Fixtures for the report tests: one scripted team ledger and one headless Chromium per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import reports_ledger
from reports_chromium import Chromium, chromium_path
from reports_ledger import Ledger, isolated_env


@pytest.fixture(scope="session")
def team_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """The scripted four-workflow ledger (see ``reports_ledger``), built once per session."""
    root = tmp_path_factory.mktemp("team-ledger")
    ledger = Ledger(root, isolated_env(root))
    reports_ledger.build(ledger.run, root / "store", root / "config.toml")
    return ledger


@pytest.fixture
def empty_ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path, isolated_env(tmp_path))


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian ``chromium``, or ``OPLEDGER_CHROMIUM``)."""
    if chromium_path() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium, or set OPLEDGER_CHROMIUM)")
    with Chromium() as running:
        yield running


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: ``OPLEDGER_SCREENSHOTS`` if set (e.g. docs/screenshots), else tmp."""
    target = Path(os.environ.get("OPLEDGER_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target
