"""Hook tests run the real `opledger hook` with a private undo cache and hook log."""

from __future__ import annotations

import pytest


@pytest.fixture
def ledger_env(ledger_env, tmp_path):
    ledger_env.update(OPLEDGER_CACHE_DIR=str(tmp_path / "cache"), OPLEDGER_HOOK_LOG=str(tmp_path / "hook.log"))
    return ledger_env
