"""Codex importer: the real rollout files against ccusage 20.0.24 (``codex daily``) and the README."""

from __future__ import annotations

import shutil

import pytest

from .ccusage import run_ccusage
from .conftest import SHARED_DATA

README = {"2026-02-23": (1_692_546, 32_389_760, 156_921, 10.8271), "2026-02-24": (1_458_055, 14_299_392, 66_257, 5.9816)}


def test_real_rollouts_match_ccusage_codex(opledger_json, ccusage, tmp_path):
    home = tmp_path / "codex"
    shutil.copytree(SHARED_DATA / "codex" / "madshn-localpush" / "raw" / "sessions", home / "sessions")
    summary = opledger_json("import", "codex", str(home / "sessions"), "--json")
    assert summary["files"] == 6 and summary["lines"] == 4760 and summary["skipped_count"] == 0
    ours = {d["date"]: d for d in opledger_json("usage", "daily", "--agent", "codex", "--json")["daily"]}
    theirs = {d["date"]: d for d in run_ccusage(ccusage, "codex", "daily", "CODEX_HOME", home)["daily"]}
    assert set(ours) == set(theirs) == set(README)
    for day, (uncached, cached, output, cost) in README.items():
        assert (ours[day]["inputTokens"], ours[day]["cacheReadTokens"], ours[day]["outputTokens"]) == (uncached, cached, output)
        assert theirs[day]["outputTokens"] == output
        assert ours[day]["totalCost"] == pytest.approx(cost, abs=0.0001)
        assert ours[day]["totalCost"] == pytest.approx(theirs[day]["costUSD"] if "costUSD" in theirs[day] else theirs[day]["totalCost"], rel=0.005)
    again = opledger_json("import", "codex", str(home / "sessions"), "--json")
    assert again["entries_added"] == 0 and again["files_unchanged"] == 6


def test_incremental_codex_continues_the_deltas(opledger_json, ledger_env, tmp_path):
    source = sorted((SHARED_DATA / "codex" / "madshn-localpush" / "raw" / "sessions").glob("*.jsonl"))[0].read_bytes()
    lines = source.splitlines(keepends=True)
    target = tmp_path / "sessions" / "rollout.jsonl"
    target.parent.mkdir()
    target.write_bytes(b"".join(lines[: len(lines) // 2]))
    first = opledger_json("import", "codex", str(target.parent), "--json")
    target.write_bytes(source)
    second = opledger_json("import", "codex", str(target.parent), "--json")
    assert second["lines"] == len(lines) - len(lines) // 2 and first["entries_added"] > 0
    split = opledger_json("usage", "daily", "--json")["totals"]
    whole = opledger_json("import", "codex", str(target.parent), "--json", env=dict(ledger_env, OPLEDGER_STORE=str(tmp_path / "whole")))
    assert whole["entries_added"] == first["entries_added"] + second["entries_added"]
    assert opledger_json("usage", "daily", "--json", env=dict(ledger_env, OPLEDGER_STORE=str(tmp_path / "whole")))["totals"] == split
