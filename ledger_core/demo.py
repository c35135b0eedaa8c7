"""``opledger demo``: a realistic ledger built from real agent transcripts plus a scripted lifecycle.

The inference line comes from real Claude Code and Codex transcripts bundled in
``demo_data/`` (see its README for their sources and licences); sessions are attributed to
workflows by their git branch, exactly as a real import does. Everything humans did around
them — context prep, reviews, a rejected region, a bounce, an incident, verification — is
scripted here, with times placed around the real sessions.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

from .config import Settings
from .decisions import Decision, ReworkReason, decide
from .ledger import record, record_incident, start_workflow, transition
from .models import Evidence, Incident, Line, Region, SpecSignal, WorkflowState
from .regions import content_hash, line_hashes
from .store import Store

DEMO_AUDIT_WORKFLOW = "spotter-dov"
REPO = "/home/USER/projects/spotter-worktrees"


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class DemoResult:
    workdir: Path
    claude_summary: object
    codex_summary: object | None


def unpack_transcripts(workdir: Path) -> tuple[Path, Path]:
    """Unpack the bundled transcripts into a Claude config dir layout and a Codex sessions dir."""
    data = resources.files("ledger_core") / "demo_data"
    claude_dir = workdir / "claude" / "projects" / "spotter"
    codex_dir = workdir / "codex" / "sessions"
    claude_dir.mkdir(parents=True, exist_ok=True)
    codex_dir.mkdir(parents=True, exist_ok=True)
    with resources.as_file(data / "claude-code-marot-spotter.tar.gz") as archive, tarfile.open(archive) as tar:
        tar.extractall(claude_dir, filter="data")
    with resources.as_file(data / "codex-madshn-localpush.tar.gz") as archive, tarfile.open(archive) as tar:
        tar.extractall(workdir / "codex", filter="data")
    return claude_dir, workdir / "codex" / "madshn-localpush" / "raw" / "sessions"


SIGNALS_ALL = frozenset(SpecSignal)


def _workflows(store: Store) -> None:
    s = SpecSignal
    plan = [
        ("spotter-gqc", "Group nearby spots on the map", "maps", "marco", "3000", frozenset({s.SPEC, s.CRITERIA, s.INTERFACES, s.VERIFICATION}), "2026-02-11T18:30"),
        ("spotter-fum", "Asset pipeline for spot photos", "maps", "marco", "2500", SIGNALS_ALL, "2026-02-11T20:00"),
        ("spotter-4te", "Offline cache for spot lists", "mobile", "ana", "4000", frozenset({s.SPEC, s.CRITERIA}), "2026-02-12T12:30"),
        ("spotter-a0y", "Modernize the search service", "maps", "ana", None, frozenset(), "2026-02-12T15:00"),
        (DEMO_AUDIT_WORKFLOW, "Login rate limiting and lockout", "platform", "marco", "6000", frozenset({s.SPEC}), "2026-02-12T10:00"),
        ("master", "Exploration on master", "maps", "marco", None, None, "2026-02-10T20:00"),
        ("LP-7", "LocalPush: sync queue for Codex events", "mobile", "dev", "1500", frozenset({s.SPEC, s.CONSTRAINTS, s.CRITERIA}), "2026-02-23T11:00"),
    ]
    for key, title, team, owner, value, signals, at in plan:
        start_workflow(
            store, key, title=title, team=team, owner=owner, value_usd=Decimal(value) if value else None,
            signals=signals, at=t(at), repo="spotter" if key != "LP-7" else "localpush", branch=key,
        )


def _region(workflow: str, path: str, start: int, text: str, *, model: str, session: str, at: str, tokens: int, cost: str) -> Region:
    return Region(
        workflow=workflow, path=f"{REPO}/{workflow}/{path}", start_line=start, end_line=start + text.count("\n"),
        content_hash=content_hash(text), line_hashes=line_hashes(text), agent="claude-code", model=model,
        session=session, tokens=tokens, cost_usd=Decimal(cost), created_at=t(at), source="demo",
    )


def _lifecycle(store: Store, settings: Settings) -> None:
    def rec(line: Line, wf: str, at: str, **kw) -> None:
        record(store, settings, line, wf, at=t(at), source="demo", source_ref=f"{wf}:{line.value}:{at}:{kw.get('kind', '')}", **kw)

    # spotter-gqc: clear spec, quick review, verified by CI.
    rec(Line.CONTEXT_PREP, "spotter-gqc", "2026-02-11T19:10", minutes=Decimal(25), actor="marco", role="senior", kind="requirements")
    rec(Line.REVIEW, "spotter-gqc", "2026-02-11T22:30", minutes=Decimal(30), actor="ana", role="senior", kind="pr_review")
    rec(Line.EVALUATION, "spotter-gqc", "2026-02-11T22:40", minutes=Decimal(9), usd=Decimal("0.07"), count=48, kind="ci_run")
    transition(store, "spotter-gqc", WorkflowState.IN_REVIEW, at=t("2026-02-11T21:50"))
    transition(store, "spotter-gqc", WorkflowState.MERGED, at=t("2026-02-11T23:00"), actor="ana")
    transition(store, "spotter-gqc", WorkflowState.VERIFIED, at=t("2026-02-11T23:20"), actor="ci",
               evidence=Evidence(kind="ci", ref="ci run 4812", tests=("test_cluster_nearby_spots", "test_map_zoom_levels")))

    # spotter-fum: all five signals; verified with almost no review friction.
    rec(Line.CONTEXT_PREP, "spotter-fum", "2026-02-11T20:40", minutes=Decimal(40), actor="marco", role="senior", kind="design")
    rec(Line.REVIEW, "spotter-fum", "2026-02-11T23:30", minutes=Decimal(20), actor="ana", role="senior", kind="pr_review")
    rec(Line.INSTITUTIONAL_MEMORY, "spotter-fum", "2026-02-11T23:40", minutes=Decimal(15), actor="marco", role="senior", kind="docs_improved")
    transition(store, "spotter-fum", WorkflowState.IN_REVIEW, at=t("2026-02-11T23:00"))
    transition(store, "spotter-fum", WorkflowState.MERGED, at=t("2026-02-12T09:00"), actor="ana")
    transition(store, "spotter-fum", WorkflowState.VERIFIED, at=t("2026-02-12T09:30"), actor="ana", evidence=Evidence(kind="reviewer", reviewer="ana", ref="manual QA on staging"))

    # spotter-4te: thin spec; merged, verified, then an incident traced back to it.
    rec(Line.CONTEXT_PREP, "spotter-4te", "2026-02-12T13:30", minutes=Decimal(10), actor="ana", role="mid", kind="requirements")
    rec(Line.REVIEW, "spotter-4te", "2026-02-12T16:00", minutes=Decimal(25), actor="marco", role="senior", kind="pr_review")
    transition(store, "spotter-4te", WorkflowState.IN_REVIEW, at=t("2026-02-12T15:10"))
    transition(store, "spotter-4te", WorkflowState.MERGED, at=t("2026-02-12T16:30"), actor="marco")
    transition(store, "spotter-4te", WorkflowState.VERIFIED, at=t("2026-02-12T17:00"), actor="ci", evidence=Evidence(kind="ci", ref="ci run 4840"))

    # spotter-a0y: a vague "modernize" request, abandoned after one session.
    rec(Line.CONTEXT_PREP, "spotter-a0y", "2026-02-12T15:20", minutes=Decimal(5), actor="ana", role="mid", kind="requirements")
    rec(Line.REWORK, "spotter-a0y", "2026-02-12T16:30", minutes=Decimal(35), actor="ana", role="mid", kind="misunderstood_requirement", count=1)
    transition(store, "spotter-a0y", WorkflowState.ABANDONED, at=t("2026-02-12T17:00"), actor="ana")

    # spotter-dov: the audited workflow — context prep, agent edits, a rejected region, a
    # bounce, a security review, merge, CI verification, and an incident after merge.
    wf = DEMO_AUDIT_WORKFLOW
    rec(Line.CONTEXT_PREP, wf, "2026-02-12T11:00", minutes=Decimal(35), actor="marco", role="senior", kind="constraints")
    rec(Line.CONTEXT_PREP, wf, "2026-02-12T15:30", minutes=Decimal(20), actor="ana", role="mid", kind="logs")
    session = "4d5611e5-241a-462a-8d15-5122611a9569"
    regions = [
        _region(wf, "lib/spotter/accounts/rate_limit.ex", 10, "defmodule Spotter.Accounts.RateLimit do\n  @max_attempts 5\n  def check(key), do: :ok\nend\n",
                model="claude-opus-4-6", session=session, at="2026-02-12T17:10", tokens=84_000, cost="1.92"),
        _region(wf, "lib/spotter_web/controllers/session_controller.ex", 42, "case RateLimit.check(ip) do\n  :ok -> login(conn, params)\n  :locked -> locked(conn)\nend\n",
                model="claude-opus-4-6", session=session, at="2026-02-12T17:40", tokens=61_000, cost="1.37"),
        _region(wf, "lib/spotter/accounts/lockout.ex", 3, "def unlock_all, do: Repo.update_all(User, set: [locked: false])\n",
                model="claude-opus-4-6", session=session, at="2026-02-12T18:05", tokens=23_000, cost="0.51"),
        _region(wf, "test/spotter/accounts/rate_limit_test.exs", 1, "test \"locks after five attempts\" do\n  assert locked?(attempt(6))\nend\n",
                model="claude-haiku-4-5-20251001", session=session, at="2026-02-12T18:30", tokens=12_000, cost="0.06"),
    ]
    store.put_regions(regions)
    decide(store, settings, regions[0].id, Decision.ACCEPT, actor="ana", role="senior", minutes=Decimal(14), at=t("2026-02-12T21:20"), source="demo")
    decide(store, settings, regions[1].id, Decision.ACCEPT, actor="ana", role="senior", minutes=Decimal(9), modified_lines=1, at=t("2026-02-12T21:30"), source="demo")
    decide(store, settings, regions[2].id, Decision.REJECT, actor="ana", role="senior", minutes=Decimal(6), at=t("2026-02-12T21:35"), source="demo")
    decide(store, settings, regions[3].id, Decision.REWORK, actor="ana", role="senior", minutes=Decimal(8), reason=ReworkReason.TESTS_INSUFFICIENT, at=t("2026-02-12T21:40"), source="demo")
    transition(store, wf, WorkflowState.IN_REVIEW, at=t("2026-02-12T21:10"))
    rec(Line.REVIEW, wf, "2026-02-13T09:30", minutes=Decimal(50), actor="priya", role="staff", kind="pr_review")
    rec(Line.REWORK, wf, "2026-02-13T09:40", minutes=Decimal(45), actor="marco", role="senior", kind="bounce", count=1)
    rec(Line.GOVERNANCE, wf, "2026-02-13T10:00", minutes=Decimal(20), actor="sec", role="staff", kind="security_review")
    rec(Line.EVALUATION, wf, "2026-02-13T10:30", minutes=Decimal(14), usd=Decimal("0.11"), count=212, kind="ci_run")
    rec(Line.INSTITUTIONAL_MEMORY, wf, "2026-02-13T10:45", minutes=Decimal(10), actor="marco", role="senior", kind="docs_improved")
    transition(store, wf, WorkflowState.MERGED, at=t("2026-02-13T11:00"), actor="priya")
    transition(store, wf, WorkflowState.VERIFIED, at=t("2026-02-13T12:00"), actor="ci",
               evidence=Evidence(kind="gate", ref="ci run 4901 + approval by priya", reviewer="priya", tests=("test_locks_after_five_attempts", "test_unlock_after_timeout")))
    record_incident(
        store, settings,
        Incident(workflows=(wf,), regions=(regions[1].id,), title="Users behind a shared NAT locked out", severity="sev2",
                 remediation_hours=Decimal("3"), customer_impact="logins failed for two office customers for 40 minutes",
                 people=("marco", "ana"), opened_at=t("2026-02-14T09:05"), link="https://status.example.invalid/incidents/118",
                 source="demo", source_ref="INC-118"),
        role="senior",
    )

    # LP-7: a Codex workflow on another team.
    rec(Line.CONTEXT_PREP, "LP-7", "2026-02-23T11:40", minutes=Decimal(20), actor="dev", role="mid", kind="requirements")
    rec(Line.REVIEW, "LP-7", "2026-02-24T10:00", minutes=Decimal(35), actor="lead", role="staff", kind="pr_review")
    transition(store, "LP-7", WorkflowState.IN_REVIEW, at=t("2026-02-24T09:00"))
    transition(store, "LP-7", WorkflowState.MERGED, at=t("2026-02-24T11:00"), actor="lead")
    transition(store, "LP-7", WorkflowState.VERIFIED, at=t("2026-02-24T11:30"), actor="ci", evidence=Evidence(kind="ci", ref="ci run 77"))


def build_demo(store: Store, settings: Settings, workdir: Path, progress=None) -> DemoResult:
    """Fill ``store`` (expected empty) with the demo ledger."""
    from .importers import claude_code, codex

    claude_dir, codex_dir = unpack_transcripts(workdir)
    _workflows(store)
    claude_summary = claude_code.import_paths(store, settings, [claude_dir], progress=progress)
    codex_summary = codex.import_paths(store, settings, [codex_dir], workflow="LP-7", progress=progress)
    _lifecycle(store, settings)
    return DemoResult(workdir=workdir, claude_summary=claude_summary, codex_summary=codex_summary)


__all__ = ["DEMO_AUDIT_WORKFLOW", "build_demo"]
