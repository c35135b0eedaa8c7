"""`opledger hook claude-code`: real-format PostToolUse payloads become regions, Stop imports the
transcript, 20 hooks at once lose nothing, and install/uninstall merge settings.json."""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ledger_core.regions import content_hash, line_hashes
from ledger_core.store import EmbeddedStore
from ledger_core.undo_cache import load_original

OPLEDGER = str(Path(__import__("sys").executable).with_name("opledger"))
BEFORE = "def total(items):\n    return sum(items)\n\n\ndef mean(items):\n    return total(items) / len(items)\n"


def _hook(env: dict, payload: dict, *, sync: bool = True) -> subprocess.CompletedProcess:
    run_env = dict(env, OPLEDGER_HOOK_SYNC="1" if sync else "0")
    return subprocess.run([OPLEDGER, "hook", "claude-code"], input=json.dumps(payload), capture_output=True, text=True, env=run_env, timeout=60)


def _transcript(tmp_path: Path, tool_use_id: str, tool: str, file_path: str) -> Path:
    path = tmp_path / "transcript.jsonl"
    line = {"type": "assistant", "sessionId": "sess-1", "timestamp": "2026-02-12T10:00:00.000Z", "requestId": "req_1", "gitBranch": "feat-hooks",
            "message": {"id": "msg_1", "model": "claude-opus-4-6", "usage": {"input_tokens": 10, "output_tokens": 400},
                        "content": [{"type": "tool_use", "id": tool_use_id, "name": tool, "input": {"file_path": file_path}}]}}
    path.write_text(json.dumps(line, separators=(",", ":")) + "\n")
    return path


def _payload(tmp_path: Path, tool: str, tool_input: dict, tool_response: dict, tool_use_id: str = "toolu_01") -> dict:
    return {"session_id": "sess-1", "transcript_path": str(_transcript(tmp_path, tool_use_id, tool, tool_input.get("file_path", ""))),
            "cwd": str(tmp_path), "hook_event_name": "PostToolUse", "tool_name": tool, "tool_input": tool_input,
            "tool_response": tool_response, "tool_use_id": tool_use_id}


def test_edit_records_a_region_with_hashes_and_the_undo_text(ledger_env, tmp_path):
    source = tmp_path / "stats.py"
    new = "def mean(items):\n    if not items:\n        return 0.0\n    return total(items) / len(items)\n"
    old = "def mean(items):\n    return total(items) / len(items)\n"
    source.write_text(BEFORE.replace(old, new))
    payload = _payload(tmp_path, "Edit", {"file_path": str(source), "old_string": old, "new_string": new},
                       {"filePath": str(source), "oldString": old, "newString": new, "originalFile": BEFORE, "userModified": False,
                        "replaceAll": False, "structuredPatch": [{"oldStart": 5, "oldLines": 2, "newStart": 5, "newLines": 4, "lines": []}]})
    done = _hook(ledger_env, payload)
    assert done.returncode == 0 and done.stdout == ""
    (region,) = EmbeddedStore(ledger_env["OPLEDGER_STORE"]).regions()
    assert (region.path, region.start_line, region.end_line) == (str(source), 4, 7)
    assert region.content_hash == content_hash(new) and region.line_hashes == line_hashes(new)
    assert (region.agent, region.model, region.session, region.tool_use_id) == ("claude-code", "claude-opus-4-6", "sess-1", "toolu_01")
    assert region.workflow == "unattributed" and region.text is None and region.tokens == 400
    assert load_original_in(ledger_env, region.id) == old


def load_original_in(env: dict, region_id: str) -> str | None:
    import os

    saved = os.environ.get("OPLEDGER_CACHE_DIR")
    os.environ["OPLEDGER_CACHE_DIR"] = env["OPLEDGER_CACHE_DIR"]
    try:
        return load_original(region_id)
    finally:
        if saved is None:
            os.environ.pop("OPLEDGER_CACHE_DIR")
        else:
            os.environ["OPLEDGER_CACHE_DIR"] = saved


def test_multiedit_and_write(ledger_env, tmp_path):
    source = tmp_path / "stats.py"
    after = BEFORE.replace("sum(items)", "math.fsum(items)").replace("def mean", "def average")
    source.write_text(after)
    edits = [{"old_string": "sum(items)", "new_string": "math.fsum(items)"}, {"old_string": "def mean", "new_string": "def average"}]
    _hook(ledger_env, _payload(tmp_path, "MultiEdit", {"file_path": str(source), "edits": edits},
                               {"filePath": str(source), "edits": edits, "originalFileContents": BEFORE, "structuredPatch": []}))
    created = tmp_path / "new.py"
    created.write_text("print('hi')\nprint('there')\n")
    _hook(ledger_env, _payload(tmp_path, "Write", {"file_path": str(created), "content": created.read_text()},
                               {"type": "create", "filePath": str(created), "content": created.read_text(), "structuredPatch": []}, "toolu_02"))
    regions = EmbeddedStore(ledger_env["OPLEDGER_STORE"]).regions()
    spans = sorted((Path(r.path).name, r.start_line, r.end_line) for r in regions)
    assert spans == [("new.py", 0, 1), ("stats.py", 1, 1), ("stats.py", 4, 4)]
    write = next(r for r in regions if r.path == str(created))
    assert write.content_hash == content_hash(created.read_text()) and load_original_in(ledger_env, write.id) == ""


def test_twenty_hooks_at_once_lose_nothing(ledger_env, tmp_path):
    payloads = []
    for number in range(20):
        source = tmp_path / f"f{number}.py"
        source.write_text(f"x = {number}\n")
        payloads.append(_payload(tmp_path / f"t{number}" if (tmp_path / f"t{number}").mkdir() is None else tmp_path, "Write",
                                 {"file_path": str(source), "content": source.read_text()},
                                 {"type": "create", "filePath": str(source), "content": source.read_text()}, f"toolu_{number:02d}"))
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda p: _hook(ledger_env, p), payloads))
    assert all(r.returncode == 0 for r in results)
    regions = EmbeddedStore(ledger_env["OPLEDGER_STORE"]).regions()
    assert sorted(r.tool_use_id for r in regions) == [f"toolu_{n:02d}" for n in range(20)]


def test_detached_mode_returns_at_once_and_records_soon(ledger_env, tmp_path):
    source = tmp_path / "a.py"
    source.write_text("a = 1\n")
    started = time.monotonic()
    done = _hook(ledger_env, _payload(tmp_path, "Write", {"file_path": str(source), "content": "a = 1\n"}, {"type": "create"}), sync=False)
    assert done.returncode == 0
    deadline = started + 30
    while time.monotonic() < deadline and not EmbeddedStore(ledger_env["OPLEDGER_STORE"]).regions():
        time.sleep(0.1)
    assert len(EmbeddedStore(ledger_env["OPLEDGER_STORE"]).regions()) == 1


def test_bad_payloads_never_fail_the_agent_and_are_logged(ledger_env, tmp_path):
    log = tmp_path / "hooks.log"
    env = dict(ledger_env, OPLEDGER_HOOK_LOG=str(log), OPLEDGER_HOOK_SYNC="1")
    for raw in ("not json", "[]", json.dumps({"hook_event_name": "PostToolUse", "tool_name": "Edit", "tool_input": {"file_path": "/nope/x.py", "new_string": "secret-code"}})):
        done = subprocess.run([OPLEDGER, "hook", "claude-code"], input=raw, capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    text = log.read_text()
    assert "JSONDecodeError" in text and "cannot read the edited file" in text and "secret-code" not in text


def test_stop_imports_the_session_transcript(ledger_env, tmp_path):
    transcript = _transcript(tmp_path, "toolu_09", "Edit", "x.py")
    _hook(ledger_env, {"session_id": "sess-1", "transcript_path": str(transcript), "hook_event_name": "Stop", "cwd": str(tmp_path)})
    (entry,) = [e for e in EmbeddedStore(ledger_env["OPLEDGER_STORE"]).entries() if e.line.value == "inference"]
    assert (entry.session, entry.workflow, entry.tokens.output) == ("sess-1", "feat-hooks", 400)


def test_install_merges_and_uninstall_removes_only_ours(opledger, tmp_path):
    settings = tmp_path / "proj" / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    theirs = {"model": "opus", "hooks": {"PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint.sh"}]}]}}
    settings.write_text(json.dumps(theirs))
    opledger("hook", "install", "claude-code", "--project-dir", str(tmp_path / "proj"))
    opledger("hook", "install", "claude-code", "--project-dir", str(tmp_path / "proj"))
    data = json.loads(settings.read_text())
    assert data["model"] == "opus" and len(data["hooks"]["PostToolUse"]) == 2
    ours = [h for g in data["hooks"]["PostToolUse"] for h in g["hooks"] if "hook claude-code" in h["command"]]
    assert len(ours) == 1 and set(data["hooks"]) == {"PostToolUse", "Stop", "SubagentStop", "SessionEnd"}
    opledger("hook", "uninstall", "claude-code", "--project-dir", str(tmp_path / "proj"))
    assert json.loads(settings.read_text()) == theirs
    settings.write_text("{broken")
    bad = opledger("hook", "install", "claude-code", "--project-dir", str(tmp_path / "proj"), check=False)
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr and settings.read_text() == "{broken"
