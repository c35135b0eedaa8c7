"""The real-editor scenario shared by the Neovim and Emacs end-to-end tests.

An agent makes three edits to a small Python file; each becomes a pending region on
workflow ``ED-1``, with the replaced text in the local undo cache. The editor opens the
file, shows the regions as diagnostics, and the plugin's own commands accept the first,
reject the second (the server restores the original text) and send the third back for
rework. The ledger is then read back through ``opledger show --json`` and the store.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OPLEDGER = str(Path(sys.executable).with_name("opledger"))
EDITORS = REPO / "editors"
WORKFLOW = "ED-1"
SESSION = "5f1c2a9e-7d3b-4c8e-9a61-0b2d4e6f8a10"

ORIGINAL = """def total(items):
    return sum(items)


def average(items):
    return 0


def label(value):
    return str(value)
"""

# (old_string, new_string) in the order the agent made them; top to bottom so each span
# computed after its edit is also where it sits in the final text.
EDITS = {
    "accept": ("    return sum(items)\n", '    if not items:\n        raise ValueError("no items")\n    return sum(items)\n'),
    "reject": ("    return 0\n", "    return total(items) / len(items) if items else 0.0\n"),
    "rework": ("    return str(value)\n", '    return f"{value:,}"\n'),
}
# 0-based, inclusive line spans of the regions in the final text.
EXPECTED_LINES = {"accept": (1, 3), "reject": (7, 7), "rework": (11, 11)}
FINAL_AFTER_DECISIONS = ORIGINAL.replace(*EDITS["accept"]).replace(*EDITS["rework"])


@dataclass
class Scenario:
    root: Path
    file: Path
    env: dict[str, str]
    results: Path
    regions: dict[str, str] = field(default_factory=dict)  # decision → region id

    def run_editor(self, argv: list[str], timeout: float = 90) -> dict:
        """Run the editor driver; it writes what it saw to ``self.results`` as JSON."""
        proc = subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout)
        seen = json.loads(self.results.read_text("utf-8")) if self.results.exists() else {}
        assert proc.returncode == 0 and not seen.get("error"), (
            f"{argv[0]} exited {proc.returncode}: {seen.get('error')}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
            f"\nseen: {json.dumps(seen)[:4000]}"
        )
        return seen


def _agent_edit(scenario: Scenario, n: int, old: str, new: str, transcript: Path) -> None:
    """One Claude Code Edit: the file changes, the transcript gets the response that asked for
    it, and the real ``opledger hook claude-code`` receives the PostToolUse payload."""
    before = scenario.file.read_text("utf-8")
    assert before.count(old) == 1, "each scenario edit replaces a unique string"
    after = before.replace(old, new)
    scenario.file.write_text(after, "utf-8")
    tool_use_id = f"toolu_01Editor{n:04d}"
    tool_input = {"file_path": str(scenario.file), "old_string": old, "new_string": new, "replace_all": False}
    line = {
        "type": "assistant",
        "sessionId": SESSION,
        "requestId": f"req_editor_{n}",
        "timestamp": f"2026-02-11T10:0{n}:00.000Z",
        "message": {
            "model": "claude-opus-4-6",
            "id": f"msg_editor_{n}",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "tool_use", "id": tool_use_id, "name": "Edit", "input": tool_input}],
            "usage": {
                "input_tokens": 12,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 2048,
                "output_tokens": 310,
            },
        },
    }
    with transcript.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
    new_start = after.count("\n", 0, after.index(new)) + 1
    payload = {
        "session_id": SESSION,
        "transcript_path": str(transcript),
        "cwd": str(scenario.root),
        "permission_mode": "acceptEdits",
        "hook_event_name": "PostToolUse",
        "tool_name": "Edit",
        "tool_input": tool_input,
        "tool_response": {
            "filePath": str(scenario.file),
            "oldString": old,
            "newString": new,
            "originalFile": before,
            "structuredPatch": [
                {
                    "oldStart": new_start,
                    "oldLines": old.count("\n"),
                    "newStart": new_start,
                    "newLines": new.count("\n"),
                    "lines": [f"-{x}" for x in old.splitlines()] + [f"+{x}" for x in new.splitlines()],
                }
            ],
            "userModified": False,
            "replaceAll": False,
        },
        "tool_use_id": tool_use_id,
    }
    env = scenario.env | {"OPLEDGER_WORKFLOW": WORKFLOW, "OPLEDGER_HOOK_SYNC": "1"}
    proc = subprocess.run(
        [OPLEDGER, "hook", "claude-code"], input=json.dumps(payload), env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def _record_agent_edits(scenario: Scenario) -> None:
    """The agent's three edits, recorded by the hook; regions are then named by where they start."""
    from ledger_core.store import open_store

    transcript = scenario.root.parent / "claude" / f"{SESSION}.jsonl"
    transcript.parent.mkdir(parents=True)
    for n, (old, new) in enumerate(EDITS.values()):
        _agent_edit(scenario, n, old, new, transcript)
    store = open_store(scenario.env["OPLEDGER_STORE"])
    try:
        regions = store.regions(workflow=WORKFLOW)
    finally:
        store.close()
    by_start = {r.start_line: r for r in regions}
    assert sorted((r.start_line, r.end_line) for r in regions) == sorted(EXPECTED_LINES.values()), (
        "the hook recorded other regions"
    )
    for name, (start, _) in EXPECTED_LINES.items():
        assert by_start[start].model == "claude-opus-4-6" and by_start[start].state.value == "pending"
        scenario.regions[name] = by_start[start].id


@pytest.fixture
def scenario(tmp_path: Path, ledger_env: dict[str, str]) -> Scenario:
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    env = dict(ledger_env)
    env["OPLEDGER_CACHE_DIR"] = str(tmp_path / "cache")
    env["PATH"] = os.pathsep.join([str(Path(OPLEDGER).parent), env.get("PATH", "")])
    # Keep the editors away from the developer's own config, state and plugins.
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / "xdg" / name.lower())
    results = tmp_path / "seen.json"
    env["OPLEDGER_TEST_RESULTS"] = str(results)
    env["OPLEDGER_TEST_EXPECTED"] = json.dumps(EXPECTED_LINES)
    file = (root / "stats.py").resolve()
    file.write_text(ORIGINAL, "utf-8")
    scn = Scenario(root=root.resolve(), file=file, env=env, results=results)
    _record_agent_edits(scn)
    return scn


def assert_diagnostics_on_expected_lines(seen: dict, scenario: Scenario) -> None:
    """``seen["diagnostics"]``: [{"line", "end_line", "region"}] as the editor showed them, 0-based."""
    by_region = {d["region"]: (d["line"], d["end_line"]) for d in seen["diagnostics"] if d.get("region")}
    if by_region:
        assert by_region == {scenario.regions[name]: span for name, span in EXPECTED_LINES.items()}
    else:  # an editor that does not surface diagnostic data: match on lines only
        assert sorted((d["line"], d["end_line"]) for d in seen["diagnostics"]) == sorted(EXPECTED_LINES.values())


def assert_ledger_reflects_decisions(opledger_json, scenario: Scenario, *, reason: str) -> None:
    """Each region decided once, as the language server records it: review entries with the
    capped time-since-shown, a rejected diff and a bounce on the rework line."""
    from ledger_core.config import Settings
    from ledger_core.decisions import review_minutes
    from ledger_core.models import Line
    from ledger_core.store import open_store

    shown = opledger_json("show", WORKFLOW, "--json")
    states = {r["id"]: r["state"] for r in shown["regions"]}
    assert states == {
        scenario.regions["accept"]: "accepted",
        scenario.regions["reject"]: "rejected",
        scenario.regions["rework"]: "rework",
    }
    assert shown["lines"]["review"]["entries"] == 3
    assert shown["lines"]["rework"]["entries"] == 2
    assert float(shown["metrics"]["acceptance_rate"]) == pytest.approx(1 / 3)

    store = open_store(scenario.env["OPLEDGER_STORE"])
    try:
        entries = store.entries(workflow=WORKFLOW)
        regions = {r.id: r for r in store.regions(workflow=WORKFLOW)}
    finally:
        store.close()
    decided = {(e.region, e.line, e.kind) for e in entries if e.region}
    assert decided == {
        (scenario.regions["accept"], Line.REVIEW, "region_accept"),
        (scenario.regions["reject"], Line.REVIEW, "region_reject"),
        (scenario.regions["reject"], Line.REWORK, "rejected_diff"),
        (scenario.regions["rework"], Line.REVIEW, "region_rework"),
        (scenario.regions["rework"], Line.REWORK, "bounce"),
    }
    bounce = next(e for e in entries if e.kind == "bounce")
    assert bounce.attrs["reason"] == reason
    assert regions[scenario.regions["rework"]].reason == reason
    settings = Settings(store=scenario.env["OPLEDGER_STORE"])
    for entry in (e for e in entries if e.line == Line.REVIEW):
        region = regions[entry.region]
        # Shown by the editor, so the review clock started: minutes follow decisions.review_minutes.
        assert "first_shown_at" in region.attrs, f"{region.id} was never marked shown"
        assert entry.minutes == review_minutes(region, settings, entry.ts)
        assert region.decided_at is not None and region.decided_at >= datetime.fromisoformat(region.attrs["first_shown_at"])


def editor_available(path: str | None, what: str) -> str:
    if not path or not (shutil.which(path) or Path(path).exists()):
        pytest.skip(f"{what} not installed (CI installs it; see editors/README.md)")
    return path
