"""The whole story, scripted through the real CLI: agent session → PR with two "changes
requested" → CI → merge → verification gate → incident, then ``opledger audit`` must show every
line with the right entries and totals that reconcile."""

from __future__ import annotations

import importlib
from decimal import Decimal
from pathlib import Path


from .conftest import build_feature_repo, pull, review
from .test_ci import make_reports
from .test_incidents import pagerduty_v3, write

TRANSCRIPT = Path(__file__).resolve().parents[3] / "shared" / "data" / "claude-code" / "marot-spotter" / "short.jsonl"


def agent_session(opledger, tmp_path: Path) -> str:
    """Import a real Claude Code transcript if that importer exists, else record inference by hand."""
    try:
        claude_code = importlib.import_module("ledger_core.importers.claude_code")
    except ImportError:
        claude_code = None
    if claude_code is not None and hasattr(claude_code, "import_paths") and TRANSCRIPT.exists():
        from ledger_core.config import load_settings
        from ledger_core.store import open_store

        store = open_store(str(tmp_path / "store"))
        claude_code.import_paths(store, load_settings(tmp_path / "config.toml", store=str(tmp_path / "store")), [TRANSCRIPT], workflow="ABC-123")
        return "transcript"
    opledger("record", "inference", "ABC-123", "--tokens", "120000", "--output-tokens", "8000", "--model", "claude-sonnet-4-5", "--at", "2026-03-02T09:30:00Z")
    opledger("record", "inference", "ABC-123", "--tokens", "60000", "--output-tokens", "3000", "--model", "claude-sonnet-4-5", "--at", "2026-03-02T10:30:00Z")
    return "manual"


def github_state(fake, merge_sha: str, *, merged: bool) -> None:
    pr = pull(7, branch="feature/abc-123-login", title="Add login form", created="2026-03-02T12:00:00Z",
              merged="2026-03-03T15:00:00Z" if merged else None, merge_sha=merge_sha)
    fake.pages["/repos/acme/shop/pulls"] = [[pr]]
    fake.routes["/repos/acme/shop/pulls/7/reviews"] = [
        review(71, "bob", "CHANGES_REQUESTED", "2026-03-02T14:00:00Z"),
        review(72, "bob", "CHANGES_REQUESTED", "2026-03-02T17:00:00Z"),
        review(73, "bob", "APPROVED", "2026-03-03T10:00:00Z"),
    ]
    fake.routes["/repos/acme/shop/pulls/7/comments"] = [{"id": 1, "pull_request_review_id": 71}]
    fake.routes["/repos/acme/shop/issues/7/events"] = [{"event": "review_requested", "created_at": "2026-03-02T12:05:00Z", "requested_reviewer": {"login": "bob"}}]
    fake.routes[f"/repos/acme/shop/commits/{merge_sha}/check-runs"] = {"total_count": 1, "check_runs": [{"name": "tests", "conclusion": "success"}]}


def test_agent_session_to_incident_audit_reconciles(repo, fake_github, opledger, opledger_json, stored, ledger_env, tmp_path):
    opledger("workflow", "start", "ABC-123", "--title", "Login form", "--at", "2026-02-01T08:00:00Z", "--has", "spec,criteria")
    opledger("record", "context_prep", "ABC-123", "--minutes", "25", "--actor", "ada", "--at", "2026-02-01T08:30:00Z")
    how = agent_session(opledger, tmp_path)

    shas = build_feature_repo(repo)
    env = ledger_env | {"GITHUB_TOKEN": fake_github.token, "OPLEDGER_GITHUB_API": fake_github.url}
    github_state(fake_github, shas["merge"], merged=False)
    opledger("import", "github", "acme/shop", env=env)
    assert stored.workflow("ABC-123")["state"] == "in_review"

    ci = make_reports(tmp_path / "sample")
    opledger("import", "junit", str(ci["junit"]), "-w", "ABC-123", "--commit", shas["merge"], "--at", "2026-03-03T15:05:00Z")
    opledger("import", "coverage", str(ci["coverage"]), "-w", "ABC-123", "--commit", shas["merge"], "--at", "2026-03-03T15:05:00Z")

    opledger("import", "git", str(repo.path))
    assert stored.workflow("ABC-123")["state"] == "merged"
    github_state(fake_github, shas["merge"], merged=True)
    opledger("import", "github", "acme/shop", env=env)
    wf = stored.workflow("ABC-123")
    assert wf["state"] == "verified" and wf["evidence"]["kind"] == "gate"
    assert "sample" not in wf["evidence"]["tests"]  # the JUnit suite had a failure: not green evidence

    incident = pagerduty_v3("QINC", created="2026-03-05T07:00:00Z", service="shop", custom={"commit": shas["merge"][:12]})
    opledger("import", "incident", write(tmp_path, "pd.json", incident), "--remediation-hours", "2")

    audit = opledger_json("audit", "ABC-123", "--format", "json")
    sections = {s["name"]: s for s in audit["sections"]}
    kinds = {name: sorted(i["kind"] for i in s["items"]) for name, s in sections.items()}
    assert kinds["verification"] == ["coverage", "test_run"]
    assert kinds["review"] == ["bounce", "bounce", "review", "review", "review"]
    assert kinds["context_prep"] == ["time"]
    assert kinds["incidents"] == ["incident"]
    assert kinds["other"] == ["docs_changed", "sensitive_paths"]
    assert "agent_commit" in kinds["sessions"] and kinds["sessions"].count("agent_commit") == 1
    inference = [i for i in sections["sessions"]["items"] if i["line"] == "inference" and i["kind"] != "agent_commit"]
    assert inference and (how == "manual" or audit["sessions"])
    assert audit["metrics"]["bounces_per_workflow"] == 2 and audit["metrics"]["defect_escape_rate"] == 1.0
    assert audit["metrics"]["verified_outcomes"] == 1
    assert any("verified by gate" in n for n in sections["verification"]["notes"])

    # Totals reconcile: sections = audit total = sum of every entry = `show` total.
    entries = stored.entries("ABC-123")
    entry_total = sum(Decimal(e["cost_usd"]) for e in entries)
    section_total = sum(Decimal(str(s["subtotal_usd"])) for s in audit["sections"])
    assert len(entries) == sum(len(s["items"]) for s in audit["sections"])
    assert abs(section_total - entry_total) < Decimal("0.000001")
    assert abs(Decimal(str(audit["total_cost_usd"])) - entry_total) < Decimal("0.000001")
    assert abs(Decimal(str(opledger_json("show", "ABC-123", "--json")["total_cost_usd"])) - entry_total) < Decimal("0.000001")
    assert entry_total > Decimal(str(audit["invoice_usd"])) > 0

    markdown = opledger("audit", "ABC-123", "--format", "md").stdout
    assert "Review rounds and bounces" in markdown and "Incidents after merge" in markdown

    # Replaying every import adds nothing.
    before = len(entries)
    opledger("import", "git", str(repo.path))
    opledger("import", "github", "acme/shop", env=env)
    opledger("import", "junit", str(ci["junit"]), "-w", "ABC-123")
    opledger("import", "incident", write(tmp_path, "pd.json", incident))
    assert len(stored.entries("ABC-123")) == before
