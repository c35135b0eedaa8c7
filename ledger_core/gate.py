"""The verification gate: a merged workflow becomes ``verified`` when the required checks are
green on its merge commit and a reviewer approved it, with that evidence stored.

Checks come from CI (GitHub check runs or check suites); approvals are read from the ledger
itself (``review`` entries whose ``state`` is ``approved``), so the gate sees the same facts
the audit shows. A reviewer's latest decisive review counts: an approval followed by
"changes requested" from the same reviewer is not an approval.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from .config import Settings
from .models import Evidence, Line, Workflow, WorkflowState
from .store import Store

GREEN = frozenset({"success", "neutral", "skipped"})
DECISIVE = {"approved", "changes_requested"}


class GateDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    passed: bool
    reasons: tuple[str, ...] = ()
    evidence: Evidence | None = None


def approvals(store: Store, key: str) -> tuple[list[str], list[str]]:
    """(reviewers whose latest decisive review approved, reviewers whose latest asked for changes)."""
    latest: dict[str, str] = {}
    for entry in sorted(store.entries(workflow=key), key=lambda e: e.ts):
        state = str(entry.attrs.get("state") or "").lower()
        if entry.line == Line.REVIEW and entry.actor and state in DECISIVE and not entry.reverses:
            latest[entry.actor] = state
    return sorted(a for a, s in latest.items() if s == "approved"), sorted(a for a, s in latest.items() if s != "approved")


def evaluate(settings: Settings, sha: str, checks: Mapping[str, str], approved_by: list[str], blocked_by: list[str], tests: tuple[str, ...] = ()) -> GateDecision:
    """Pure rule: required checks green on ``sha`` and at least one approval, none blocking."""
    reasons = []
    conclusions = {name: (value or "pending").lower() for name, value in checks.items()}
    required = settings.required_checks or sorted(conclusions)
    if not required:
        reasons.append(f"no check results for {sha[:10]}")
    for name in required:
        conclusion = conclusions.get(name)
        if conclusion is None:
            reasons.append(f"required check {name!r} has not reported on {sha[:10]}")
        elif conclusion not in GREEN:
            reasons.append(f"check {name!r} is {conclusion} on {sha[:10]}")
    if not approved_by:
        reasons.append("no reviewer approval")
    if blocked_by:
        reasons.append(f"changes still requested by {', '.join(blocked_by)}")
    if reasons:
        return GateDecision(passed=False, reasons=tuple(reasons))
    evidence = Evidence(
        kind="gate",
        ref=f"{sha} checks: {', '.join(f'{n}={conclusions[n]}' for n in required)}",
        reviewer=", ".join(approved_by),
        tests=tuple(dict.fromkeys([*required, *tests])),
    )
    return GateDecision(passed=True, evidence=evidence)


def green_suites(store: Store, key: str) -> tuple[str, ...]:
    """Names of the test suites recorded on the workflow (JUnit imports) that had no failures."""
    names = []
    for entry in store.entries(workflow=key):
        if entry.line == Line.EVALUATION and entry.kind == "test_run" and not entry.attrs.get("failures") and not entry.attrs.get("errors"):
            names.append(str(entry.attrs.get("suite") or "tests"))
    return tuple(dict.fromkeys(names))


def apply_gate(store: Store, settings: Settings, key: str, sha: str, checks: Mapping[str, str], at: datetime) -> GateDecision:
    """Verify the merged workflow ``key`` if the gate passes on its merge commit ``sha``."""
    workflow: Workflow = store.get_workflow(key)
    if workflow.state == WorkflowState.VERIFIED:
        return GateDecision(passed=True, evidence=workflow.evidence, reasons=("already verified",))
    if workflow.state != WorkflowState.MERGED:
        return GateDecision(passed=False, reasons=(f"workflow is {workflow.state.value}, not merged",))
    approved_by, blocked_by = approvals(store, key)
    decision = evaluate(settings, sha, checks, approved_by, blocked_by, green_suites(store, key))
    if decision.passed:
        last = workflow.transitions[-1].at if workflow.transitions else at
        store.transition_workflow(key, WorkflowState.VERIFIED, max(at, last), actor="gate", evidence=decision.evidence)
    return decision
