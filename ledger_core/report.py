"""The team report: metrics for a period, per-workflow rows, clarity breakdown, weekly trend.

A pure function of ledger data (``build_report``) plus one loader (``team_report``) that reads
what it needs from a store. Renderers (terminal, JSON, HTML, Slack) consume ``TeamReport``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from .metrics import (
    ClarityBucket,
    GenerationMetrics,
    OutcomeMetrics,
    Period,
    bounces_by_workflow,
    by_clarity,
    escapes_by_workflow,
    generation_metrics,
    outcome_metrics,
    week_period,
)
from .models import Entry, Line, Region, Workflow, WorkflowState
from .policy import policy_exceptions
from .rollup import is_day_aligned
from .store import Store


class WorkflowRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    title: str | None
    team: str | None
    state: WorkflowState
    clarity: int | None
    value_usd: Decimal | None
    total_cost_usd: Decimal
    inference_cost_usd: Decimal
    lines: dict[Line, Decimal]
    bounces: int
    incidents: int
    cycle_time_hours: float | None


class TrendPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    period: str
    total_cost_usd: Decimal
    verified_outcomes: int
    cost_per_verified_outcome: Decimal | None
    value_per_verified_outcome: Decimal | None
    invoice_share: Decimal | None


class TeamReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    period: Period
    team: str | None
    metrics: OutcomeMetrics
    generation: GenerationMetrics
    lines: dict[Line, Decimal]
    clarity: tuple[ClarityBucket, ...]
    workflows: tuple[WorkflowRow, ...]
    trend: tuple[TrendPoint, ...]
    policy_exceptions: int = 0  # agent edits outside the data boundaries (ledger_core/policy.py)


def _rows(entries: Sequence[Entry], workflows: Sequence[Workflow], period: Period) -> list[WorkflowRow]:
    per_line: dict[str, dict[Line, Decimal]] = defaultdict(lambda: {line: Decimal(0) for line in Line})
    for entry in entries:
        if period.contains(entry.ts):
            per_line[entry.workflow][entry.line] += entry.cost_usd
    bounces = bounces_by_workflow(entries)
    escapes = escapes_by_workflow(entries)
    rows = []
    for workflow in workflows:
        lines = per_line.get(workflow.key, {line: Decimal(0) for line in Line})
        verified_at = workflow.verified_at
        rows.append(
            WorkflowRow(
                key=workflow.key,
                title=workflow.title,
                team=workflow.team,
                state=workflow.state,
                clarity=workflow.clarity,
                value_usd=workflow.value_usd,
                total_cost_usd=sum(lines.values(), Decimal(0)),
                inference_cost_usd=lines[Line.INFERENCE],
                lines=lines,
                bounces=max(bounces.get(workflow.key, 0), 0),
                incidents=max(escapes.get(workflow.key, 0), 0),
                cycle_time_hours=(verified_at - workflow.started_at).total_seconds() / 3600 if verified_at else None,
            )
        )
    rows.sort(key=lambda r: r.total_cost_usd, reverse=True)
    return rows


def _weeks(period: Period, entries: Sequence[Entry], workflows: Sequence[Workflow], limit: int = 12) -> list[Period]:
    """ISO weeks covered by the period (or by the data, for an open period), at most ``limit``."""
    moments = [e.ts for e in entries] + [w.verified_at for w in workflows if w.verified_at]
    if not moments:
        return []
    start = period.since or min(moments)
    end = period.until or (max(moments) + timedelta(microseconds=1))
    weeks = []
    cursor = start
    while cursor < end:
        year, number, _ = cursor.isocalendar()
        week = week_period(f"{year}-W{number:02d}")
        weeks.append(week)
        cursor = week.until  # type: ignore[assignment]
    return weeks[-limit:]


def _entries_by_week(entries: Sequence[Entry], weeks: Sequence[Period]) -> dict[str, list[Entry]]:
    """Entries bucketed into the given contiguous weeks (entries outside them are left out)."""
    buckets: dict[str, list[Entry]] = {week.label: [] for week in weeks}
    starts = [week.since for week in weeks]
    for entry in entries:
        index = bisect_right(starts, entry.ts) - 1
        if index >= 0 and weeks[index].contains(entry.ts):
            buckets[weeks[index].label].append(entry)
    return buckets


def build_report(
    entries: Sequence[Entry],
    workflows: Sequence[Workflow],
    regions: Sequence[Region],
    period: Period,
    team: str | None = None,
) -> TeamReport:
    if team is not None:
        keys = {w.key for w in workflows if w.team == team}
        workflows = [w for w in workflows if w.key in keys]
        entries = [e for e in entries if e.workflow in keys]
        regions = [r for r in regions if r.workflow in keys]
    metrics = outcome_metrics(entries, workflows, regions, period)
    lines = {line: Decimal(0) for line in Line}
    for entry in entries:
        if period.contains(entry.ts):
            lines[entry.line] += entry.cost_usd
    active = {e.workflow for e in entries if period.contains(e.ts)}
    shown = [
        w
        for w in workflows
        if w.key in active or any(period.contains(t.at) for t in w.transitions)
    ]
    trend = []
    weeks = _weeks(period, entries, workflows)
    by_week = _entries_by_week(entries, weeks)
    for week in weeks:
        # A trend point shows only cost fields, which depend on the week's own entries: give
        # each week just those (one pass over the ledger instead of one per week).
        point = outcome_metrics(by_week[week.label], workflows, (), week)
        trend.append(
            TrendPoint(
                period=week.label,
                total_cost_usd=point.total_cost_usd,
                verified_outcomes=point.verified_outcomes,
                cost_per_verified_outcome=point.cost_per_verified_outcome,
                value_per_verified_outcome=point.value_per_verified_outcome,
                invoice_share=point.invoice_share,
            )
        )
    return TeamReport(
        period=period,
        team=team,
        metrics=metrics,
        generation=generation_metrics(entries, regions, period),
        lines=lines,
        clarity=tuple(by_clarity(entries, shown, period)),
        workflows=tuple(_rows(entries, shown, period)),
        trend=tuple(trend),
        policy_exceptions=policy_exceptions([e for e in entries if period.contains(e.ts)]),
    )


def team_report(store: Store, period: Period, team: str | None = None) -> TeamReport:
    # Team stores sum in the database or the service instead of shipping every entry here.
    summarised = getattr(store, "team_report", None)
    if summarised is not None:
        return summarised(period, team)
    # Daily rollups are exact for periods bounded at midnight UTC and far cheaper to read.
    daily = getattr(store, "rollups", None)
    if daily is not None and is_day_aligned(period.since) and is_day_aligned(period.until):
        facts = daily()
    else:
        facts = store.entries()
    return build_report(facts, store.workflows(), store.regions(), period, team)
