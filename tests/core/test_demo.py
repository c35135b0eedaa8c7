"""``opledger demo``: the newcomer's first command builds a real, reconciling ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest


def test_demo_prints_report_and_audit_and_reconciles(opledger, opledger_json, tmp_path):
    target = tmp_path / "demo"
    out = opledger("demo", "--into", str(target), timeout=300).stdout
    assert "Team report" in out and "Ledger Audit — spotter-dov" in out and "Total from prompt to verified outcome" in out
    usage = opledger_json("--store", str(target), "usage", "daily", "--agent", "claude-code", "--json")
    # The bundled transcripts are the real ones of shared/data; ccusage 20.0.24 reports these totals.
    assert usage["totals"]["totalTokens"] == 79_708_804
    assert usage["totals"]["totalCost"] == pytest.approx(51.7426, abs=0.0001)
    show = opledger_json("--store", str(target), "show", "spotter-dov", "--json")
    assert show["workflow"]["state"] == "verified"
    assert sorted(r["state"] for r in show["regions"]) == ["accepted", "accepted", "rejected", "rework"]
    assert show["lines"]["escaped_defects"]["count"] == 1
    assert show["metrics"]["bounces_per_workflow"] == 2  # a review bounce and a region sent back
    assert all(show["lines"][line]["entries"] > 0 for line in show["lines"])
    audit = opledger_json("--store", str(target), "audit", "spotter-dov", "--format", "json")
    assert Decimal(str(audit["total_cost_usd"])) == Decimal(str(show["metrics"]["total_cost_usd"]))
    assert sum(Decimal(str(s["subtotal_usd"])) for s in audit["sections"]) == Decimal(str(audit["total_cost_usd"]))
    report = opledger_json("--store", str(target), "report", "--json")
    assert report["metrics"]["verified_outcomes"] == 5
    assert report["metrics"]["invoice_share"] < 0.1  # the model bill is a small part of the real cost
    assert opledger("--store", str(target), "verify").stdout.startswith("ok:")


def test_demo_refuses_a_non_empty_directory(opledger, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = opledger("demo", "--into", str(tmp_path / "mine"), check=False)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_demo_default_location_is_rebuilt_not_duplicated(opledger, opledger_json, ledger_env):
    opledger("demo", "--quiet", timeout=300)
    first = opledger("demo", "--quiet", timeout=300).stdout.strip().splitlines()[-1]
    assert opledger_json("--store", first, "report", "--json")["metrics"]["verified_outcomes"] == 5
