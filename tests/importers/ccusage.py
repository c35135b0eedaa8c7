"""Finding and running the real ccusage 20.0.24 (from ``CCUSAGE_BIN`` or installed once with npm)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from filelock import FileLock

VERSION = "20.0.24"


def ccusage_bin() -> str:
    configured = os.environ.get("CCUSAGE_BIN")
    if configured:
        assert Path(configured).exists(), f"CCUSAGE_BIN={configured} does not exist"
        return configured
    cache = Path(os.environ.get("OPLEDGER_TEST_CACHE", Path.home() / ".cache" / "opledger-test")) / f"ccusage-{VERSION}"
    binary = cache / "node_modules" / ".bin" / "ccusage"
    if binary.exists():
        return str(binary)
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed and CCUSAGE_BIN is not set: cannot run ccusage")
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache) + ".lock"):  # xdist workers install once
        if not binary.exists():
            done = subprocess.run([npm, "install", "--prefix", str(cache), f"ccusage@{VERSION}"], capture_output=True, text=True, timeout=300)
            if done.returncode != 0:
                pytest.skip(f"npm registry unreachable, cannot install ccusage@{VERSION}: {done.stderr[-300:]}")
    return str(binary)


def run_ccusage(binary: str, agent: str, report: str, env_var: str, root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "CODEX_"))}
    env.update({env_var: str(root), "TZ": "UTC", "HOME": str(root.parent)})
    done = subprocess.run([binary, agent, report, "--json", "--offline", "-z", "UTC"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def by_day_model(report: dict) -> dict[tuple[str, str], tuple[tuple[int, int, int, int], float]]:
    return {
        (day["date"], m["modelName"]): ((m["inputTokens"], m["outputTokens"], m["cacheCreationTokens"], m["cacheReadTokens"]), m["cost"])
        for day in report["daily"]
        for m in day["modelBreakdowns"]
    }


def assert_parity(ours: dict, theirs: dict, *, cost_tolerance: float = 0.005) -> None:
    a, b = by_day_model(ours), by_day_model(theirs)
    assert set(a) == set(b)
    for key in a:
        assert a[key][0] == b[key][0], f"tokens differ for {key}: opledger {a[key][0]} vs ccusage {b[key][0]}"
        assert a[key][1] == pytest.approx(b[key][1], rel=cost_tolerance, abs=1e-9), f"cost differs for {key}"
    for field in ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens"):
        assert ours["totals"][field] == theirs["totals"][field]
