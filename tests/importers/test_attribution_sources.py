"""git-ai notes, Agent Trace records and OTel GenAI spans into regions and model calls."""

from __future__ import annotations

import json
import subprocess

from ledger_core.regions import content_hash
from ledger_core.store import EmbeddedStore


def test_otel_spans_become_model_calls(opledger_json, tmp_path):
    def attr(key, value):
        return {"key": key, "value": {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}}

    span = {"traceId": "t1", "spanId": "s1", "name": "chat", "startTimeUnixNano": "1767261600000000000",
            "attributes": [attr("gen_ai.request.model", "claude-sonnet-4-5-20250929"), attr("gen_ai.usage.input_tokens", 1500),
                           attr("gen_ai.usage.cache_read.input_tokens", 1000), attr("gen_ai.usage.output_tokens", 200),
                           attr("gen_ai.conversation.id", "conv-1"), attr("opledger.workflow", "OT-1")]}
    plain = dict(span, spanId="s2", attributes=[a for a in span["attributes"] if a["key"] != "opledger.workflow"] + [attr("gen_ai.request.model", "mystery")])
    export = {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "agent")]}, "scopeSpans": [{"spans": [span, plain]}]}]}
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps(export) + "\n" + "{oops\n")
    summary = opledger_json("import", "otel", str(path), "--workflow", "OT-2", "--json")
    assert summary["entries_added"] == 2 and summary["skipped_count"] == 1
    day = opledger_json("usage", "daily", "--agent", "otel", "--json")["daily"][0]
    assert (day["date"], day["inputTokens"], day["cacheReadTokens"], day["outputTokens"]) == ("2026-01-01", 1000, 2000, 400)
    assert opledger_json("import", "otel", str(path), "--json")["duplicates"] == 2


def test_agent_trace_ranges_become_regions(opledger_json, ledger_env, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("a = 1\nb = 2\nc = 3\nd = 4\n")
    record = {"version": "0.1.0", "id": "trace-1", "timestamp": "2026-01-01T10:00:00Z", "tool": {"name": "cursor"},
              "vcs": {"type": "git", "revision": "abc"},
              "files": [{"path": "src/app.py", "conversations": [
                  {"url": "conv://1", "contributor": {"type": "ai", "model_id": "anthropic/claude-opus-4-6"}, "ranges": [{"start_line": 2, "end_line": 3}]},
                  {"contributor": {"type": "human"}, "ranges": [{"start_line": 4, "end_line": 4}]}]}]}
    trace = tmp_path / "trace.json"
    trace.write_text(json.dumps(record))
    assert opledger_json("import", "agent-trace", str(trace), "--workflow", "AT-1", "--json")["entries_added"] == 1
    (region,) = EmbeddedStore(ledger_env["OPLEDGER_STORE"]).regions()
    assert (region.start_line, region.end_line, region.agent, region.content_hash) == (1, 2, "cursor", content_hash("b = 2\nc = 3"))
    assert opledger_json("import", "agent-trace", str(trace), "--json")["duplicates"] == 1


def test_git_ai_notes_become_regions(opledger_json, ledger_env, tmp_path):
    repo = tmp_path / "repo"
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run(["git", "init", "-q", "-b", "feat-ai", str(repo)], check=True)
    (repo / "m.py").write_text("one\ntwo\nthree\nfour\n")
    subprocess.run([*git, "add", "m.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "c1"], check=True)
    note = "m.py\n  p1 2-3\n---\n" + json.dumps({"schema_version": "authorship/3.0.0", "prompts": {"p1": {"agent_id": {"tool": "claude", "id": "sess-9", "model": "claude-opus-4-6"}}}})
    subprocess.run([*git, "notes", "--ref=ai", "add", "-m", note, "HEAD"], check=True)
    summary = opledger_json("import", "git-ai", str(repo), "--json")
    assert summary["entries_added"] == 1 and summary["workflows"] == ["feat-ai"]
    (region,) = EmbeddedStore(ledger_env["OPLEDGER_STORE"]).regions()
    assert (region.start_line, region.end_line, region.agent, region.model, region.session) == (1, 2, "claude", "claude-opus-4-6", "sess-9")
    assert region.content_hash == content_hash("two\nthree")
    assert opledger_json("import", "git-ai", str(repo), "--json")["duplicates"] == 1
