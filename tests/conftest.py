"""Shared fixtures: an isolated store and config per test, and the real ``opledger`` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"
OPLEDGER = str(Path(sys.executable).with_name("opledger"))


@pytest.fixture
def ledger_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a CLI subprocess with its own store, config and home."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPLEDGER_", "CLAUDE_", "CODEX_"))}
    env.update(
        OPLEDGER_STORE=str(tmp_path / "store"),
        OPLEDGER_CONFIG=str(tmp_path / "config.toml"),
        HOME=str(home),
        COLUMNS="200",
        NO_COLOR="1",
        TZ="UTC",
    )
    return env


@pytest.fixture
def opledger(ledger_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real ``opledger`` command; ``check=True`` asserts exit status 0."""

    def run(*args: str, input: str | None = None, check: bool = True, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [OPLEDGER, *args], input=input, capture_output=True, text=True, env=env or ledger_env, timeout=timeout
        )
        if check:
            assert result.returncode == 0, f"opledger {' '.join(args)} → {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    return run


@pytest.fixture
def opledger_json(opledger) -> Callable[..., object]:
    def run(*args: str, **kwargs) -> object:
        return json.loads(opledger(*args, **kwargs).stdout)

    return run
