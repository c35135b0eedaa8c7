"""Claude Code importer end to end: real ccusage 20.0.24 on the same files, incremental reads,
the documented differences from ccusage, rework signals and attribution."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks.importers.corpus import generate
from ledger_core.models import Line
from ledger_core.store import EmbeddedStore

from .ccusage import assert_parity, by_day_model, run_ccusage

README_DAYS = {  # /work/shared/data/claude-code/README.md
    "2026-02-10": (1876, 1846, 111096, 1080233, 1.0539),
    "2026-02-11": (2776, 79267, 670956, 31179675, 23.8901),
    "2026-02-12": (4513, 114688, 1297908, 45163970, 26.7986),
}


def _import(opledger_json, root: Path, *extra: str) -> dict:
    return opledger_json("import", "claude-code", str(root), "--json", *extra)


def test_real_transcripts_match_ccusage(opledger_json, ccusage, spotter_config):
    summary = _import(opledger_json, spotter_config / "projects")
    assert summary["files"] == 20 and summary["lines"] == 10155 and summary["skipped_count"] == 0
    ours = opledger_json("usage", "daily", "--json")
    theirs = run_ccusage(ccusage, "claude", "daily", "CLAUDE_CONFIG_DIR", spotter_config)
    assert_parity(ours, theirs)
    for day in ours["daily"]:
        expected = README_DAYS[day["date"]]
        assert (day["inputTokens"], day["outputTokens"], day["cacheCreationTokens"], day["cacheReadTokens"]) == expected[:4]
        assert day["totalCost"] == pytest.approx(expected[4], abs=0.0001)
    assert ours["totals"]["totalTokens"] == 79_708_804


def test_default_path_is_the_claude_config_dir(opledger_json, ledger_env, spotter_config):
    env = dict(ledger_env, CLAUDE_CONFIG_DIR=f"{spotter_config},{spotter_config / 'missing'}")
    summary = opledger_json("import", "claude-code", "--json", env=env)
    assert summary["files"] == 20 and summary["entries_added"] > 800


def test_generated_corpus_matches_ccusage(opledger_json, ccusage, tmp_path):
    root = generate(tmp_path / "claude", sessions=8, lines=500, seed=11)
    summary = _import(opledger_json, root / "projects")
    truncated = next(p for p in (root / "projects").rglob("*.jsonl") if not p.read_bytes().endswith(b"\n"))
    assert summary["skipped"] == [[str(truncated), truncated.read_bytes().count(b"\n") + 1, "truncated line"]]
    assert_parity(opledger_json("usage", "daily", "--json"), run_ccusage(ccusage, "claude", "daily", "CLAUDE_CONFIG_DIR", root))


def test_reimport_reads_only_new_bytes_and_never_double_counts(opledger_json, tmp_path):
    root = generate(tmp_path / "claude", sessions=3, lines=300, seed=5)
    first = _import(opledger_json, root)
    before = opledger_json("usage", "daily", "--json")["totals"]
    again = _import(opledger_json, root)
    assert again["files_unchanged"] == again["files"] and again["lines"] == 0 and again["entries_added"] == 0
    # Append a second copy of one session (a resumed session) plus a new response.
    files = sorted((root / "projects").rglob("*.jsonl"), key=str)
    target = next(p for p in files if "subagents" not in str(p) and p.read_bytes().endswith(b"\n"))
    old = target.read_bytes()
    new_call = json.dumps({"type": "assistant", "sessionId": "s", "timestamp": "2026-03-09T10:00:00.000Z", "requestId": "req_new",
                           "message": {"id": "msg_new", "model": "claude-opus-4-6", "usage": {"input_tokens": 7, "output_tokens": 9}}},
                          separators=(",", ":"))
    target.write_bytes(old + old + new_call.encode() + b"\n")
    grown = _import(opledger_json, root)
    assert grown["files_unchanged"] == len(files) - 1 and grown["entries_added"] == 1 and grown["duplicates"] > 0
    after = opledger_json("usage", "daily", "--json")["totals"]
    assert after["totalTokens"] == before["totalTokens"] + 16
    # Rewrite (truncate) the file: detected, re-read from the start, nothing counted twice.
    target.write_bytes(old[: len(old) // 2].rsplit(b"\n", 1)[0] + b"\n")
    rewritten = _import(opledger_json, root)
    assert rewritten["files_reread"] == [str(target)] and rewritten["entries_added"] == 0
    assert opledger_json("usage", "daily", "--json")["totals"]["totalTokens"] == after["totalTokens"]
    assert first["entries_added"] > 0


def _transcript(tmp_path: Path, lines: list[dict]) -> Path:
    root = tmp_path / "cfg"
    folder = root / "projects" / "p"
    folder.mkdir(parents=True)
    (folder / "s1.jsonl").write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
    return root


def _call(ts: str, mid: str, rid: str | None, model: str, **usage: int) -> dict:
    line = {"type": "assistant", "sessionId": "s1", "gitBranch": "feat-x", "timestamp": ts,
            "message": {"id": mid, "model": model, "usage": usage}}
    if rid:
        line["requestId"] = rid
    return line


SONNET = "claude-sonnet-4-5-20250929"


def test_most_tokens_win_and_decide_the_day(opledger_json, ccusage, tmp_path):
    root = _transcript(tmp_path, [
        _call("2026-01-01T23:59:59.000Z", "m1", "r1", SONNET, input_tokens=10, output_tokens=5),
        _call("2026-01-02T00:00:01.000Z", "m1", "r1", SONNET, input_tokens=10, output_tokens=100),
    ])
    _import(opledger_json, root)
    ours = opledger_json("usage", "daily", "--json")
    assert_parity(ours, run_ccusage(ccusage, "claude", "daily", "CLAUDE_CONFIG_DIR", root))
    assert [d["date"] for d in ours["daily"]] == ["2026-01-02"]


def test_difference_missing_request_id_is_one_call_not_every_chunk(opledger_json, ccusage, tmp_path):
    root = _transcript(tmp_path, [
        _call("2026-01-01T10:00:00.000Z", "m1", None, SONNET, input_tokens=10, output_tokens=5),
        _call("2026-01-01T10:00:01.000Z", "m1", None, SONNET, input_tokens=10, output_tokens=100),
    ])
    _import(opledger_json, root)
    ours = by_day_model(opledger_json("usage", "daily", "--json"))
    theirs = by_day_model(run_ccusage(ccusage, "claude", "daily", "CLAUDE_CONFIG_DIR", root))
    assert theirs[("2026-01-01", SONNET)][0] == (20, 105, 0, 0)  # ccusage: every streamed chunk
    assert ours[("2026-01-01", SONNET)][0] == (10, 100, 0, 0)  # one API response


def test_difference_microsecond_timestamps_are_read(opledger_json, ccusage, tmp_path):
    root = _transcript(tmp_path, [
        _call("2026-01-01T10:00:00.123456Z", "m1", "r1", SONNET, input_tokens=10, output_tokens=5),
        _call("2026-01-01T10:00:00.000Z", "m2", "r2", SONNET, input_tokens=1, output_tokens=1),
    ])
    _import(opledger_json, root)
    ours = by_day_model(opledger_json("usage", "daily", "--json"))
    theirs = by_day_model(run_ccusage(ccusage, "claude", "daily", "CLAUDE_CONFIG_DIR", root))
    assert theirs[("2026-01-01", SONNET)][0] == (1, 1, 0, 0)  # ccusage silently drops the first line
    assert ours[("2026-01-01", SONNET)][0] == (11, 6, 0, 0)


def test_difference_long_context_rate_applies_to_the_whole_request(opledger_json, ccusage, tmp_path):
    root = _transcript(tmp_path, [
        _call("2026-01-01T10:00:00.000Z", "m1", "r1", SONNET, input_tokens=1000, output_tokens=1000, cache_read_input_tokens=300_000),
    ])
    _import(opledger_json, root)
    ours = by_day_model(opledger_json("usage", "daily", "--json"))[("2026-01-01", SONNET)]
    theirs = by_day_model(run_ccusage(ccusage, "claude", "daily", "CLAUDE_CONFIG_DIR", root))[("2026-01-01", SONNET)]
    assert ours[0] == theirs[0]
    # ccusage: 200k cache read at $0.30/M + 100k at $0.60/M; Anthropic bills all 301k input at the >200k rates.
    assert theirs[1] == pytest.approx(0.003 + 0.015 + 0.06 + 0.06)
    assert ours[1] == pytest.approx(1000 * 6e-6 + 1000 * 22.5e-6 + 300_000 * 0.6e-6)


def test_one_hour_cache_writes_and_subagent_copies(opledger_json, ccusage, tmp_path):
    sub = _call("2026-01-01T10:00:00.000Z", "m1", "r1", SONNET, input_tokens=3, output_tokens=4,
                cache_creation_input_tokens=1000, cache_creation={"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 1000})
    sub["isSidechain"] = True
    replay = {"type": "progress", "sessionId": "s1", "timestamp": "2026-01-02T00:00:00.002Z",
              "data": {"type": "agent_progress", "agentId": "a1", "message": {"type": "assistant", "timestamp": "2026-01-01T23:59:59.999Z",
                                                                                "requestId": "r2", "message": {"id": "m2", "model": SONNET, "usage": {"input_tokens": 5, "output_tokens": 6}}}}}
    task = {"type": "user", "sessionId": "s1", "timestamp": "2026-01-01T10:00:01.000Z",
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "done"}]},
            "toolUseResult": {"agentId": "a1", "totalTokens": 999, "usage": {"input_tokens": 900, "output_tokens": 99}}}
    root = _transcript(tmp_path, [replay, task])
    subfile = root / "projects" / "p" / "s1" / "subagents" / "agent-a1.jsonl"
    subfile.parent.mkdir(parents=True)
    subfile.write_text(json.dumps(sub, separators=(",", ":")) + "\n")
    _import(opledger_json, root / "projects")
    ours = opledger_json("usage", "daily", "--json")
    assert_parity(ours, run_ccusage(ccusage, "claude", "daily", "CLAUDE_CONFIG_DIR", root))
    assert ours["totals"]["totalTokens"] == 3 + 4 + 1000 + 5 + 6


def test_rework_signals_from_a_generated_session(opledger_json, ledger_env, tmp_path):
    root = generate(tmp_path / "claude", sessions=2, lines=600, seed=2)
    lines = [json.loads(raw) for p in (root / "projects").rglob("*.jsonl") for raw in p.read_bytes().splitlines() if raw.endswith(b"}")]
    expected = {
        "rejected_tool_use": sum(1 for d in lines if d.get("toolUseResult") == "User rejected tool use"),
        "tool_error": sum(1 for d in lines if str(d.get("toolUseResult", "")).startswith("Error:")),
        "user_modified": sum(1 for d in lines if isinstance(d.get("toolUseResult"), dict) and d["toolUseResult"].get("userModified") is True),
        "retry": sum(1 for d in lines if d.get("subtype") == "api_error"),
        "interrupted": sum(1 for d in lines if "[Request interrupted by user]" in json.dumps(d)),
    }
    summary = _import(opledger_json, root)
    assert summary["rework_added"] == sum(expected.values()) > 0
    entries = EmbeddedStore(ledger_env["OPLEDGER_STORE"]).entries()
    rework = [e for e in entries if e.line == Line.REWORK]
    assert {k: sum(1 for e in rework if e.kind == k) for k in expected} == expected
    assert all(e.session and e.source == "claude-code" for e in rework)
    assert all(e.attrs.get("tokens_wasted", 0) > 0 for e in rework if e.kind == "rejected_tool_use")
    # The audit groups them under agent sessions.
    wf = next(e.workflow for e in rework if e.kind == "rejected_tool_use")
    audit = opledger_json("audit", wf, "--format", "json")
    assert sum(s["rejected_tool_uses"] for s in audit["sessions"]) == sum(1 for e in rework if e.kind == "rejected_tool_use" and e.workflow == wf)


def test_attribution_env_config_and_link(opledger, opledger_json, ledger_env, tmp_path):
    root = _transcript(tmp_path, [_call("2026-01-01T10:00:00.000Z", "m1", "r1", SONNET, input_tokens=10, output_tokens=5)])
    Path(ledger_env["OPLEDGER_CONFIG"]).write_text('[workflow_map]\n"feat-*" = "TICKET-1"\n')
    assert _import(opledger_json, root)["workflows"] == ["TICKET-1"]
    moved = opledger_json("link", "s1", "TICKET-2", "--json")
    assert moved["entries_moved"] == 1
    assert opledger_json("show", "TICKET-2", "--json")["lines"]["inference"]["tokens"] == 15
    assert opledger_json("usage", "daily", "--json")["totals"]["totalTokens"] == 15
    # Future calls of the session follow the link; OPLEDGER_WORKFLOW wins over the config map for others.
    folder = root / "projects" / "p"
    (folder / "s1.jsonl").open("a").write(json.dumps(_call("2026-01-01T11:00:00.000Z", "m2", "r2", SONNET, input_tokens=1, output_tokens=1)) + "\n")
    other = dict(_call("2026-01-01T12:00:00.000Z", "m3", "r3", SONNET, input_tokens=2, output_tokens=2), sessionId="s2")
    (folder / "s2.jsonl").write_text(json.dumps(other) + "\n")
    assert sorted(opledger_json("import", "claude-code", str(root), "--json", env=dict(ledger_env, OPLEDGER_WORKFLOW="PINNED"))["workflows"]) == ["PINNED", "TICKET-2"]
    bad = opledger("link", "nope", "TICKET-2", check=False)
    assert bad.returncode == 2 and "no entries or regions of session 'nope'" in bad.stderr


def test_usage_from_rollups_equals_usage_from_entries(opledger_json, tmp_path):
    # A UTC report of every agent reads the daily rollups; one agent's report reads the entries.
    root = generate(tmp_path / "claude", sessions=3, lines=300, seed=9)
    _import(opledger_json, root)
    session = opledger_json("usage", "session", "--json")["sessions"][0]["sessionId"]
    opledger_json("link", session, "LINKED-1", "--json")  # corrections on both workflows
    days = [d["date"] for d in opledger_json("usage", "daily", "--json")["daily"]]
    assert len(days) >= 2
    for period in ("daily", "weekly", "monthly"):
        for extra in ((), ("--since", days[1]), ("--until", days[0].replace("-", ""))):
            rolled = opledger_json("usage", period, "--json", *extra)
            assert rolled == opledger_json("usage", period, "--agent", "claude-code", "--json", *extra), (period, extra)


def test_bad_input_is_a_clear_error(opledger, tmp_path):
    result = opledger("import", "claude-code", str(tmp_path / "missing"), check=False)
    assert result.returncode == 2 and "no such file or folder" in result.stderr
    result = opledger("usage", "daily", "--timezone", "Mars/Olympus", check=False)
    assert result.returncode == 2 and "unknown timezone" in result.stderr
    shutil.rmtree(tmp_path / "store", ignore_errors=True)
