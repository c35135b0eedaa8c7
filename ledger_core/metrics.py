"""Metrics exactly as DESIGN.md defines them, as pure functions of ledger data.

Outcome metrics (verified outcomes, acceptance, rework, escapes, cycle time) and generation
metrics (tokens, agent sessions, regions written) are separate models: activity is never
presented as value.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from .errors import InvalidInput
from .models import Entry, Line, Region, RegionState, Workflow, WorkflowState

BOUNCE = "bounce"
INCIDENT = "incident"
DECIDED = (RegionState.ACCEPTED, RegionState.REJECTED, RegionState.REWORK)


class Period(BaseModel):
    """A half-open interval [since, until) in UTC; either end may be open."""

    model_config = ConfigDict(frozen=True)

    since: datetime | None = None
    until: datetime | None = None
    label: str = "all time"

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        if self.since is not None and moment < self.since:
            return False
        return not (self.until is not None and moment >= self.until)

    def previous(self) -> Period:
        if self.since is None or self.until is None:
            raise InvalidInput("only a bounded period has a previous period")
        span = self.until - self.since
        label = self.label
        match = re.fullmatch(r"(\d{4})-W(\d{2})", label)
        if match:
            year, week, _ = (self.since - span).isocalendar()
            label = f"{year}-W{week:02d}"
        else:
            label = f"{(self.since - span).date()}..{self.since.date()}"
        return Period(since=self.since - span, until=self.since, label=label)


def _at_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_moment(text: str, *, what: str = "date") -> datetime:
    """ISO date or datetime → aware UTC datetime, with a clear error."""
    try:
        if len(text) == 10:
            return _at_midnight(date.fromisoformat(text))
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"bad {what} {text!r}: use YYYY-MM-DD or an ISO 8601 date-time") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def week_period(week: str) -> Period:
    match = re.fullmatch(r"(\d{4})-W(\d{1,2})", week.strip())
    if not match:
        raise InvalidInput(f"bad week {week!r}: use YYYY-Www, e.g. 2026-W49")
    try:
        start = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise InvalidInput(f"bad week {week!r}: {exc}") from exc
    since = _at_midnight(start)
    year, number, _ = start.isocalendar()
    return Period(since=since, until=since + timedelta(days=7), label=f"{year}-W{number:02d}")


def current_week(now: datetime | None = None) -> Period:
    year, number, _ = (now or datetime.now(UTC)).isocalendar()
    return week_period(f"{year}-W{number:02d}")


def make_period(since: str | None = None, until: str | None = None, week: str | None = None) -> Period:
    if week:
        if since or until:
            raise InvalidInput("give either --week or --since/--until, not both")
        return week_period(week)
    start = parse_moment(since, what="--since") if since else None
    end = parse_moment(until, what="--until") if until else None
    if start and end and end <= start:
        raise InvalidInput(f"--until {until} is not after --since {since}")
    if start or end:
        label = f"{start.date() if start else '…'}..{end.date() if end else '…'}"
        return Period(since=start, until=end, label=label)
    return Period()


class LineTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    cost_usd: Decimal = Decimal(0)
    minutes: Decimal = Decimal(0)
    tokens: int = 0
    count: int = 0
    entries: int = 0
    unpriced: int = 0


def line_totals(entries: Iterable[Entry]) -> dict[Line, LineTotals]:
    """Totals per ledger line; every one of the eight lines is present."""
    sums: dict[Line, dict[str, Decimal | int]] = {
        line: {"cost_usd": Decimal(0), "minutes": Decimal(0), "tokens": 0, "count": 0, "entries": 0, "unpriced": 0}
        for line in Line
    }
    for entry in entries:
        bucket = sums[entry.line]
        bucket["cost_usd"] += entry.cost_usd
        bucket["minutes"] += entry.minutes
        bucket["tokens"] += entry.tokens.total if entry.tokens else 0
        bucket["count"] += entry.count
        bucket["entries"] += entry.weight
        bucket["unpriced"] += entry.weight if entry.unpriced else 0
    return {line: LineTotals(**values) for line, values in sums.items()}


def total_cost(entries: Iterable[Entry]) -> Decimal:
    return sum((e.cost_usd for e in entries), Decimal(0))


def _ratio(numerator: Decimal | int | float, denominator: Decimal | int | float) -> Decimal | None:
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def _percentile(values: Sequence[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    # Linear interpolation between closest ranks (numpy's default).
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class OutcomeMetrics(BaseModel):
    """The DESIGN.md metrics. Rates are fractions in [0, 1]; ``None`` means no denominator."""

    model_config = ConfigDict(frozen=True)

    total_cost_usd: Decimal
    verified_outcomes: int
    cost_per_verified_outcome: Decimal | None
    value_per_verified_outcome: Decimal | None
    return_on_cost: Decimal | None
    invoice_share: Decimal | None
    acceptance_rate: Decimal | None
    acceptance_rate_lines: Decimal | None
    rework_rate: Decimal | None
    bounces_per_workflow: Decimal | None
    defect_escape_rate: Decimal | None
    cycle_time_median_hours: float | None
    cycle_time_p90_hours: float | None
    review_minutes: Decimal
    review_minutes_per_accepted_line: Decimal | None
    context_prep_share: Decimal | None
    workflows_merged: int
    unpriced_entries: int


class GenerationMetrics(BaseModel):
    """Activity, kept apart from outcomes: how much the agents produced, not what survived."""

    model_config = ConfigDict(frozen=True)

    tokens: int
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    model_calls: int
    agent_sessions: int
    regions_written: int
    lines_written: int


class ClarityBucket(BaseModel):
    model_config = ConfigDict(frozen=True)

    clarity: int | None  # 0–5, None = not recorded
    workflows: int
    verified_outcomes: int
    total_cost_usd: Decimal
    cost_per_verified_outcome: Decimal | None
    rework_rate: Decimal | None


def bounces_by_workflow(entries: Iterable[Entry]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for entry in entries:
        if entry.line == Line.REWORK and entry.kind == BOUNCE:
            counts[entry.workflow] += entry.occurrences
    return counts


def escapes_by_workflow(entries: Iterable[Entry]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for entry in entries:
        if entry.line == Line.ESCAPED_DEFECTS and entry.kind == INCIDENT:
            counts[entry.workflow] += entry.occurrences
    return counts


def outcome_metrics(
    entries: Sequence[Entry],
    workflows: Sequence[Workflow],
    regions: Sequence[Region],
    period: Period,
) -> OutcomeMetrics:
    """``entries`` may span all time: costs are taken from the period, bounce and incident
    counts of the period's merged workflows from any time (incidents arrive after the merge)."""
    in_period = [e for e in entries if period.contains(e.ts)]
    totals = line_totals(in_period)
    total = sum((t.cost_usd for t in totals.values()), Decimal(0))
    verified = [w for w in workflows if w.state == WorkflowState.VERIFIED and period.contains(w.verified_at)]
    merged = [w for w in workflows if w.state in (WorkflowState.MERGED, WorkflowState.VERIFIED) and period.contains(w.merged_at)]
    cost_per = _ratio(total, len(verified))
    valued = [w.value_usd for w in verified if w.value_usd is not None]
    value_per = _ratio(sum(valued, Decimal(0)), len(verified)) if valued else None
    return_on = _ratio(value_per, cost_per) if value_per is not None and cost_per else None

    decided = [r for r in regions if r.state in DECIDED and period.contains(r.decided_at)]
    accepted = [r for r in decided if r.state == RegionState.ACCEPTED]
    accepted_lines = sum(r.lines for r in accepted)

    bounces = bounces_by_workflow(entries)
    escapes = escapes_by_workflow(entries)
    merged_keys = [w.key for w in merged]
    cycle_hours = [
        (w.verified_at - w.started_at).total_seconds() / 3600 for w in verified if w.verified_at is not None
    ]
    review_minutes = totals[Line.REVIEW].minutes
    return OutcomeMetrics(
        total_cost_usd=total,
        verified_outcomes=len(verified),
        cost_per_verified_outcome=cost_per,
        value_per_verified_outcome=value_per,
        return_on_cost=return_on,
        invoice_share=_ratio(totals[Line.INFERENCE].cost_usd, total),
        acceptance_rate=_ratio(len(accepted), len(decided)),
        acceptance_rate_lines=_ratio(accepted_lines, sum(r.lines for r in decided)),
        rework_rate=_ratio(sum(1 for k in merged_keys if bounces.get(k, 0) > 0), len(merged)),
        bounces_per_workflow=_ratio(sum(max(bounces.get(k, 0), 0) for k in merged_keys), len(merged)),
        defect_escape_rate=_ratio(sum(max(escapes.get(k, 0), 0) for k in merged_keys), len(merged)),
        cycle_time_median_hours=statistics.median(cycle_hours) if cycle_hours else None,
        cycle_time_p90_hours=_percentile(cycle_hours, 0.9),
        review_minutes=review_minutes,
        review_minutes_per_accepted_line=_ratio(review_minutes, accepted_lines),
        context_prep_share=_ratio(totals[Line.CONTEXT_PREP].cost_usd, total),
        workflows_merged=len(merged),
        unpriced_entries=sum(t.unpriced for t in totals.values()),
    )


def generation_metrics(entries: Sequence[Entry], regions: Sequence[Region], period: Period) -> GenerationMetrics:
    inference = [e for e in entries if e.line == Line.INFERENCE and period.contains(e.ts)]
    tokens = [e.tokens for e in inference if e.tokens is not None]
    written = [r for r in regions if period.contains(r.created_at)]
    return GenerationMetrics(
        tokens=sum(t.total for t in tokens),
        input_tokens=sum(t.input for t in tokens),
        output_tokens=sum(t.output for t in tokens),
        cache_write_tokens=sum(t.cache_write for t in tokens),
        cache_read_tokens=sum(t.cache_read for t in tokens),
        model_calls=sum(e.count for e in inference),
        agent_sessions=len({e.session for e in inference if e.session}),
        regions_written=len(written),
        lines_written=sum(r.lines for r in written),
    )


def by_clarity(entries: Sequence[Entry], workflows: Sequence[Workflow], period: Period) -> list[ClarityBucket]:
    """Cost per verified outcome and rework rate per spec-clarity score (ambiguity made visible)."""
    cost_by_workflow: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if period.contains(entry.ts):
            cost_by_workflow[entry.workflow] += entry.cost_usd
    bounces = bounces_by_workflow(entries)
    groups: dict[int | None, list[Workflow]] = defaultdict(list)
    for workflow in workflows:
        groups[workflow.clarity].append(workflow)
    buckets = []
    for clarity in sorted(groups, key=lambda c: -1 if c is None else c):
        members = groups[clarity]
        cost = sum((cost_by_workflow.get(w.key, Decimal(0)) for w in members), Decimal(0))
        verified = [w for w in members if w.state == WorkflowState.VERIFIED and period.contains(w.verified_at)]
        merged = [w for w in members if w.state in (WorkflowState.MERGED, WorkflowState.VERIFIED) and period.contains(w.merged_at)]
        buckets.append(
            ClarityBucket(
                clarity=clarity,
                workflows=len(members),
                verified_outcomes=len(verified),
                total_cost_usd=cost,
                cost_per_verified_outcome=_ratio(cost, len(verified)),
                rework_rate=_ratio(sum(1 for w in merged if bounces.get(w.key, 0) > 0), len(merged)),
            )
        )
    return buckets
