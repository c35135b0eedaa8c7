"""Fixtures for the report tests: one scripted team ledger and one headless Chromium per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import reports_ledger
from reports_chromium import Chromium, chromium_path

OPLEDGER = str(Path(sys.executable).with_name("opledger"))


@dataclass
class Ledger:
    """The scripted ledger's environment, and a way to run the real CLI against it."""

    root: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([OPLEDGER, *args], capture_output=True, text=True, env=self.env, timeout=120)
        if check:
            assert result.returncode == 0, f"opledger {' '.join(args)} → {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args).stdout)


def _env(root: Path) -> dict[str, str]:
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPLEDGER_", "CLAUDE_", "CODEX_"))}
    env.update(OPLEDGER_STORE=str(root / "store"), OPLEDGER_CONFIG=str(root / "config.toml"), HOME=str(home),
               COLUMNS="200", NO_COLOR="1", TZ="UTC")
    return env


@pytest.fixture(scope="session")
def team_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """The scripted four-workflow ledger (see ``reports_ledger``), built once per session."""
    root = tmp_path_factory.mktemp("team-ledger")
    ledger = Ledger(root, _env(root))
    reports_ledger.build(ledger.run, root / "store", root / "config.toml")
    return ledger


@pytest.fixture
def empty_ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path, _env(tmp_path))


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
