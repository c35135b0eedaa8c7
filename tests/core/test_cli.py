"""The ``opledger`` CLI end to end: the documented contract, help everywhere, clean errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from ledger_core.models import Line


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


def test_every_command_has_help_text():
    from ledger_core.cli import app

    def walk(command, path: str):
        yield path, command
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}")

    missing = [path for path, cmd in walk(typer.main.get_command(app), "opledger") if not (cmd.help or cmd.short_help)]
    assert missing == []
    assert len(list(walk(typer.main.get_command(app), "opledger"))) > 15


def test_lifecycle_and_show_json_contract(opledger, opledger_json):
    opledger("workflow", "start", "PAY-1", "--title", "Retry payments", "--team", "core", "--value", "5000", "--has", "spec,criteria", "--at", "2026-11-30T09:00")
    opledger("record", "context_prep", "PAY-1", "--minutes", "45", "--role", "senior", "--at", "2026-11-30T09:30")
    opledger("record", "inference", "PAY-1", "--tokens", "200000", "--output-tokens", "5000", "--model", "claude-sonnet-4-5", "--at", "2026-11-30T10:00")
    opledger("record", "rework", "PAY-1", "--count", "1", "--kind", "bounce", "--minutes", "20", "--at", "2026-12-01T10:00")
    opledger("record", "review", "PAY-1", "--minutes", "30", "--actor", "alice", "--role", "staff", "--at", "2026-12-01T11:00")
    opledger("workflow", "review", "PAY-1", "--at", "2026-12-01T09:00")
    opledger("workflow", "merge", "PAY-1", "--at", "2026-12-01T12:00")
    opledger("workflow", "verify", "PAY-1", "--at", "2026-12-01T13:00", "--evidence", "ci run 12", "--evidence-kind", "ci", "--tests", "test_retry")
    data = opledger_json("show", "PAY-1", "--json")
    assert set(data) >= {"workflow", "lines", "metrics", "regions", "incidents"}
    assert data["workflow"]["state"] == "verified"
    assert data["workflow"]["evidence"] == {"kind": "ci", "ref": "ci run 12", "reviewer": None, "tests": ["test_retry"], "note": None}
    assert set(data["lines"]) == {line.value for line in Line}
    for totals in data["lines"].values():
        assert set(totals) >= {"cost_usd", "minutes", "tokens", "count", "entries"}
    assert data["lines"]["context_prep"]["cost_usd"] == pytest.approx(90.0)  # 45 min × $120/h
    assert data["lines"]["review"]["cost_usd"] == pytest.approx(93.75)  # 30 min × $150/h × 1.25 focus
    assert data["lines"]["inference"]["tokens"] == 205_000
    assert data["lines"]["inference"]["cost_usd"] == pytest.approx(0.675)  # 200k in × $3/M + 5k out × $15/M
    m = data["metrics"]
    assert m["verified_outcomes"] == 1 and m["rework_rate"] == 1.0 and m["bounces_per_workflow"] == 1.0
    assert m["total_cost_usd"] == pytest.approx(sum(t["cost_usd"] for t in data["lines"].values()))
    assert m["cycle_time_median_hours"] == pytest.approx(28.0)
    report = opledger_json("report", "--week", "2026-W49", "--json")
    assert set(report) >= {"period", "metrics", "workflows"}
    assert report["metrics"]["verified_outcomes"] == 1
    assert opledger("verify").stdout.startswith("ok: 4 entries")


@pytest.mark.parametrize(
    "args, message",
    [
        (["record", "reviewx", "W-1", "--minutes", "3"], "unknown ledger line 'reviewx'"),
        (["record", "review", "NOPE", "--minutes", "3"], "unknown workflow 'NOPE'"),
        (["record", "review", "W-1", "--minutes", "-3"], "must not be negative"),
        (["record", "review", "W-1", "--minutes", "abc"], "must be a number"),
        (["record", "review", "W-1"], "say what to record"),
        (["record", "inference", "W-1", "--tokens", "10"], "need a --model"),
        (["workflow", "start", "W 2"], "invalid workflow"),
        (["workflow", "start", "W-3", "--value", "-5"], "must not be negative"),
        (["workflow", "start", "W-3", "--has", "vibes"], "unknown spec signal"),
        (["workflow", "merge", "W-1", "--at", "yesterday"], "bad --at"),
        (["workflow", "verify", "W-1", "--at", "2020-01-01"], "cannot become verified earlier"),
        (["report", "--week", "2026-W99"], "bad week"),
        (["report", "--since", "2026-12-10", "--until", "2026-12-01"], "is not after"),
        (["show", "NOPE"], "unknown workflow"),
        (["correct", "01NOPE"], "no entry"),
        (["audit", "W-1", "--format", "pdf"], "unknown --format"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(opledger, ledger_env, args, message):
    opledger("workflow", "start", "W-1")
    opledger("record", "review", "W-1", "--minutes", "5")
    root = Path(ledger_env["OPLEDGER_STORE"])
    before = _snapshot(root)
    result = opledger(*args, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(root) == before


def test_usage_errors_exit_2_without_traceback(opledger):
    result = opledger("record", "review", check=False)
    assert result.returncode == 2 and "Missing argument" in result.stderr and "Traceback" not in result.stderr


def test_unreadable_config_is_a_clear_error(opledger, ledger_env):
    Path(ledger_env["OPLEDGER_CONFIG"]).write_text("rates = [oops")
    result = opledger("workflow", "list", check=False)
    assert result.returncode == 2 and "not valid TOML" in result.stderr and ledger_env["OPLEDGER_CONFIG"] in result.stderr


def test_config_set_validates_before_writing(opledger, opledger_json, ledger_env):
    opledger("config", "set", "rates.senior", "140")
    assert opledger_json("config", "show")["rates"]["senior"] == 140.0
    before = Path(ledger_env["OPLEDGER_CONFIG"]).read_text()
    result = opledger("config", "set", "--", "review_minutes_cap", "-4", check=False)
    assert result.returncode == 2 and "config left unchanged" in result.stderr
    assert Path(ledger_env["OPLEDGER_CONFIG"]).read_text() == before


def test_correction_reverses_and_is_idempotent(opledger, opledger_json):
    opledger("workflow", "start", "W-1")
    entry = opledger_json("record", "review", "W-1", "--minutes", "30", "--json")["stored"][0]
    opledger("correct", entry["id"])
    assert "already reversed" in opledger("correct", entry["id"]).stdout
    data = opledger_json("show", "W-1", "--json")
    assert data["lines"]["review"]["cost_usd"] == 0 and data["lines"]["review"]["entries"] == 0


def test_same_ref_recorded_twice_is_stored_once(opledger, opledger_json):
    opledger("workflow", "start", "W-1")
    opledger("record", "evaluation", "W-1", "--count", "12", "--usd", "0.5", "--ref", "ci-77")
    assert "nothing added" in opledger("record", "evaluation", "W-1", "--count", "12", "--usd", "0.5", "--ref", "ci-77").stdout
    assert opledger_json("show", "W-1", "--json")["lines"]["evaluation"]["entries"] == 1


def test_corrupt_store_file_is_reported_with_its_path(opledger, ledger_env):
    opledger("workflow", "start", "W-1")
    target = Path(ledger_env["OPLEDGER_STORE"]) / "workflows.json"
    target.write_text("{not json")
    result = opledger("workflow", "list", check=False)
    assert result.returncode == 3 and str(target) in result.stderr
    assert target.read_text() == "{not json"
