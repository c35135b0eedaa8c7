"""``opledger import git`` against a real repository built in the test."""

from __future__ import annotations

from pathlib import Path

from .conftest import build_feature_repo


def test_merge_becomes_merged_workflow_with_attribution_docs_and_governance(repo, opledger, opledger_json, stored, tmp_path: Path):
    shas = build_feature_repo(repo)
    report = opledger_json("import", "git", str(repo.path), "--json")
    assert "ABC-123" in report["workflows"]
    workflows = {w["key"]: w for w in opledger_json("workflow", "list", "--json")}
    wf = workflows["ABC-123"]
    assert wf["state"] == "merged"
    assert wf["branch"] == "feature/abc-123-login" and wf["repo"] == "shop"
    assert wf["review_required"] is True
    assert wf["attrs"]["merge_commit"] == shas["merge"]
    assert wf["attrs"]["commits"] == [shas["first"], shas["second"]]
    states = [(t["state"], t["at"]) for t in wf["transitions"]]
    assert states == [("open", "2026-03-02T09:00:00Z"), ("merged", "2026-03-03T15:00:00Z")]

    entries = stored.entries("ABC-123")
    by_kind = {e["kind"]: e for e in entries}
    assert by_kind["agent_commit"]["actor"] == "claude-code" and by_kind["agent_commit"]["attrs"]["commit"] == shas["first"]
    assert float(by_kind["agent_commit"]["cost_usd"]) == 0
    assert by_kind["docs_changed"]["line"] == "institutional_memory"
    assert by_kind["docs_changed"]["attrs"]["files"] == ["docs/login.md"]
    assert by_kind["sensitive_paths"]["line"] == "governance"
    assert by_kind["sensitive_paths"]["attrs"]["files"] == ["src/auth/login.py"]

    # The unmerged branch is an open workflow, flagged for review (payments), Codex attributed.
    payments = workflows["wip-payments"]
    assert payments["state"] == "open" and payments["review_required"] is True
    assert [e["actor"] for e in stored.entries("wip-payments")] == ["codex"]
    assert any(s["what"] == "branch wip-payments" for s in report["skipped"])


def test_reimport_adds_nothing_and_no_message_body_is_stored(repo, opledger_json, tmp_path: Path):
    build_feature_repo(repo)
    first = opledger_json("import", "git", str(repo.path), "--json")
    again = opledger_json("import", "git", str(repo.path), "--json")
    assert first["stored"] == 4 and again["stored"] == 0 and again["duplicates"] == 4 and again["transitions"] == []
    stored_bytes = b"".join(p.read_bytes() for p in (tmp_path / "store").rglob("*") if p.is_file())
    assert b"BODY-SECRET-TEXT" not in stored_bytes and b"MERGE-BODY-SECRET" not in stored_bytes
    assert b"def login" not in stored_bytes


def test_git_ai_notes_attribute_the_agent_and_model(repo, opledger_json, stored):
    shas = build_feature_repo(repo)
    note = (
        "src/auth/login.py\n  a1b2c3d4 1-2\n---\n"
        '{"schema_version": "authorship/3.0.0", "prompts": {"a1b2c3d4": {"agent_id": {"tool": "cursor", "id": "x", "model": "claude-sonnet-4-5"},'
        ' "accepted_lines": 2}}}\n'
    )
    repo.git("notes", "--ref=ai", "add", "-m", note, shas["first"])
    opledger_json("import", "git", str(repo.path), "--json")
    agents = {e["actor"]: e for e in stored.entries("ABC-123") if e["kind"] == "agent_commit"}
    assert agents["cursor"]["model"] == "claude-sonnet-4-5"
    assert agents["cursor"]["attrs"]["lines"] == 2 and agents["cursor"]["attrs"]["via"] == "git-ai"


def test_since_skips_older_merges(repo, opledger_json):
    build_feature_repo(repo)
    report = opledger_json("import", "git", str(repo.path), "--since", "2026-03-04", "--json")
    assert "ABC-123" not in report["workflows"]
    assert "wip-payments" in report["workflows"]


def test_merge_subject_without_branch_is_reported_as_skipped(repo, opledger_json):
    repo.commit({"a.txt": "a"}, "base", at="2026-03-01T08:00:00+00:00")
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit({"b.txt": "b"}, "topic work", at="2026-03-01T09:00:00+00:00")
    repo.merge("topic", "Integrate things", at="2026-03-01T10:00:00+00:00")
    report = opledger_json("import", "git", str(repo.path), "--json")
    assert report["skipped"][0]["why"] == "its subject names no branch"


def test_not_a_repository_is_a_clear_error(opledger, tmp_path: Path):
    (tmp_path / "plain").mkdir()
    result = opledger("import", "git", str(tmp_path / "plain"), check=False)
    assert result.returncode == 2
    assert "error: git rev-parse" in result.stderr and "plain" in result.stderr
