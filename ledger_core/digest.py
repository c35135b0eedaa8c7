"""The weekly digest for managers: a pure function of two team reports (this week, last week).

What survived review and what it cost: cost per verified outcome with its week-over-week
change, invoice vs. full cost, acceptance/rework/escape rates, cycle time, the three costliest
workflows and where their cost went, and one line of advice chosen from the data. Renderers
(terminal, JSON, Slack Block Kit) consume ``Digest``; nothing here knows about Slack.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from .formatting import money, pct
from .metrics import Period
from .models import Entry, Line, Workflow, WorkflowState
from .report import TeamReport, WorkflowRow, build_report
from .store import Store

# Thresholds for the advice line. They pick which fact to point at, never change a metric.
CONCENTRATION = Decimal("0.6")
CLARITY_GAP = Decimal("1.5")
ESCAPE_ALERT = Decimal("0.2")
COST_JUMP = Decimal("0.2")
HIDDEN_COST = Decimal("0.3")
LINE_NAMES = {
    Line.INFERENCE: "inference",
    Line.CONTEXT_PREP: "context prep",
    Line.REVIEW: "review",
    Line.REWORK: "rework",
    Line.ESCAPED_DEFECTS: "escaped defects",
    Line.EVALUATION: "evaluation",
    Line.GOVERNANCE: "governance",
    Line.INSTITUTIONAL_MEMORY: "institutional memory",
}


class CostlyWorkflow(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    title: str | None
    state: WorkflowState
    total_cost_usd: Decimal
    lines: tuple[tuple[Line, Decimal], ...]  # non-zero lines, costliest first
    bounces: int
    incidents: int


class Digest(BaseModel):
    model_config = ConfigDict(frozen=True)

    period: Period
    previous_period: Period
    team: str | None
    verified_outcomes: int
    previous_verified_outcomes: int
    cost_per_verified_outcome: Decimal | None
    previous_cost_per_verified_outcome: Decimal | None
    cost_change: Decimal | None  # fraction, e.g. 0.25 = up a quarter on last week
    total_cost_usd: Decimal
    invoice_usd: Decimal
    invoice_share: Decimal | None
    acceptance_rate: Decimal | None
    rework_rate: Decimal | None
    defect_escape_rate: Decimal | None
    cycle_time_median_hours: float | None
    cycle_time_p90_hours: float | None
    workflows_merged: int
    costliest: tuple[CostlyWorkflow, ...]
    advice: str




def _change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / previous


def _costly(row: WorkflowRow) -> CostlyWorkflow:
    lines = sorted(((line, cost) for line, cost in row.lines.items() if cost), key=lambda item: item[1], reverse=True)
    return CostlyWorkflow(
        key=row.key, title=row.title, state=row.state, total_cost_usd=row.total_cost_usd,
        lines=tuple(lines), bounces=row.bounces, incidents=row.incidents,
    )


def _rework_without_prep(report: TeamReport, prepped: Collection[str] | None) -> str | None:
    reworked = [r for r in report.workflows if r.bounces > 0]
    if len(reworked) < 2:
        return None

    def had_prep(row: WorkflowRow) -> bool:
        return row.key in prepped if prepped is not None else row.lines[Line.CONTEXT_PREP] > 0

    bare = [r for r in reworked if not had_prep(r)]
    others = [r for r in report.workflows if r.bounces == 0]
    bare_elsewhere = Decimal(sum(1 for r in others if not had_prep(r))) / len(others) if others else Decimal(0)
    share = Decimal(len(bare)) / len(reworked)
    if share < CONCENTRATION or share <= bare_elsewhere:
        return None
    return (f"Rework is concentrated where nobody prepared context: {len(bare)} of the {len(reworked)} workflows "
            f"sent back had no context prep — ask for context before the agent starts.")


def _clarity_gap(report: TeamReport) -> str | None:
    def pooled(buckets) -> Decimal | None:
        verified = sum(b.verified_outcomes for b in buckets)
        return sum((b.total_cost_usd for b in buckets), Decimal(0)) / verified if verified else None

    low = pooled([b for b in report.clarity if b.clarity is not None and b.clarity <= 2])
    high = pooled([b for b in report.clarity if b.clarity is not None and b.clarity >= 4])
    if low is None or not high or low < high * CLARITY_GAP:
        return None
    return (f"Vague requests cost more: workflows with spec clarity ≤ 2/5 cost {low / high:.1f}× as much per verified "
            f"outcome ({money(low)}) as those with ≥ 4/5 ({money(high)}).")


def _biggest_hidden_line(report: TeamReport) -> tuple[Line, Decimal] | None:
    hidden = [(line, cost) for line, cost in report.lines.items() if line != Line.INFERENCE and cost > 0]
    return max(hidden, key=lambda item: item[1]) if hidden else None


def advise(current: TeamReport, previous: TeamReport, prepped: Collection[str] | None = None) -> str:
    """One line of advice: the first of several data checks that fires, most actionable first."""
    m = current.metrics
    if m.total_cost_usd <= 0 and m.verified_outcomes == 0:
        return f"Nothing was recorded for {current.period.label}: no cost and no verified outcome."
    if m.verified_outcomes == 0:
        waiting = sum(1 for r in current.workflows if r.state == WorkflowState.MERGED)
        tail = f"; {waiting} merged workflow(s) still wait for verification" if waiting else ""
        return f"No workflow was verified in {current.period.label}: {money(m.total_cost_usd)} spent without a verified outcome{tail}."
    for check in (lambda: _rework_without_prep(current, prepped), lambda: _clarity_gap(current)):
        found = check()
        if found:
            return found
    if m.defect_escape_rate is not None and m.defect_escape_rate >= ESCAPE_ALERT:
        return (f"{pct(m.defect_escape_rate)} of merged workflows escaped a defect; remediation cost "
                f"{money(current.lines[Line.ESCAPED_DEFECTS])} this week — look at review depth on those changes.")
    change = _change(m.cost_per_verified_outcome, previous.metrics.cost_per_verified_outcome)
    if change is not None and change >= COST_JUMP:
        line, delta = max(((line, current.lines[line] - previous.lines[line]) for line in Line), key=lambda item: item[1])
        return (f"Cost per verified outcome rose {pct(change)} on last week, mostly on {LINE_NAMES[line]} "
                f"(+{money(delta)}).")
    hidden = _biggest_hidden_line(current)
    if m.invoice_share is not None and m.invoice_share < HIDDEN_COST and hidden:
        line, cost = hidden
        return (f"The model bill shows only {pct(m.invoice_share)} of what this work cost; the biggest line off the "
                f"invoice is {LINE_NAMES[line]} at {money(cost)}.")
    if hidden:
        line, cost = hidden
        return f"The biggest cost besides inference was {LINE_NAMES[line]} at {money(cost)} ({pct(cost / m.total_cost_usd)} of the total)."
    return f"All {money(m.total_cost_usd)} of cost was inference; human time is not on the ledger yet — record review and context prep."


def build_digest(current: TeamReport, previous: TeamReport, prepped: Collection[str] | None = None) -> Digest:
    """``prepped``: keys of workflows that ever had context prep (any week); else this week's rows decide."""
    m, p = current.metrics, previous.metrics
    return Digest(
        period=current.period,
        previous_period=previous.period,
        team=current.team,
        verified_outcomes=m.verified_outcomes,
        previous_verified_outcomes=p.verified_outcomes,
        cost_per_verified_outcome=m.cost_per_verified_outcome,
        previous_cost_per_verified_outcome=p.cost_per_verified_outcome,
        cost_change=_change(m.cost_per_verified_outcome, p.cost_per_verified_outcome),
        total_cost_usd=m.total_cost_usd,
        invoice_usd=current.lines[Line.INFERENCE],
        invoice_share=m.invoice_share,
        acceptance_rate=m.acceptance_rate,
        rework_rate=m.rework_rate,
        defect_escape_rate=m.defect_escape_rate,
        cycle_time_median_hours=m.cycle_time_median_hours,
        cycle_time_p90_hours=m.cycle_time_p90_hours,
        workflows_merged=m.workflows_merged,
        costliest=tuple(_costly(row) for row in current.workflows[:3] if row.total_cost_usd > 0),
        advice=advise(current, previous, prepped),
    )


def _within(entries: Sequence[Entry], workflows: Sequence[Workflow], period: Period) -> tuple[list[Entry], list[Workflow]]:
    """Only what a one-period report reads: the period's entries and workflows, plus bounce and
    incident entries of those workflows from any time (they count for the period's merges)."""
    moved = {w.key for w in workflows if any(period.contains(t.at) for t in w.transitions)}
    inside = [e for e in entries if period.contains(e.ts)]
    keys = moved | {e.workflow for e in inside}
    counted = [e for e in entries if e.workflow in keys and e.line in (Line.REWORK, Line.ESCAPED_DEFECTS) and not period.contains(e.ts)]
    return inside + counted, [w for w in workflows if w.key in keys]


def digest_reports(store: Store, period: Period, team: str | None = None) -> tuple[TeamReport, TeamReport, frozenset[str]]:
    """This period's and the previous period's reports, read from the store once."""
    entries, workflows, regions = store.entries(), store.workflows(), store.regions()
    prepped = frozenset(e.workflow for e in entries if e.line == Line.CONTEXT_PREP and e.cost_usd > 0)
    current = build_report(entries, workflows, regions, period, team)
    before = period.previous()
    # The previous week is read for its metrics and lines only; trimming its input halves the digest's time.
    previous = build_report(*_within(entries, workflows, before), regions, before, team)
    return current, previous, prepped


def trend_report(store: Store, period: Period, team: str | None = None, weeks: int = 8) -> TeamReport:
    """The report of the ``weeks`` weeks up to ``period``: its trend is what the digest chart draws."""
    since = period.since - timedelta(days=7 * (weeks - 1)) if period.since else None
    return build_report(store.entries(), store.workflows(), store.regions(), Period(since=since, until=period.until, label=period.label), team)


def weekly_digest(store: Store, period: Period, team: str | None = None) -> tuple[Digest, TeamReport]:
    """The digest and the report it was built from (the chart is drawn from the report)."""
    current, previous, prepped = digest_reports(store, period, team)
    return build_digest(current, previous, prepped), current
