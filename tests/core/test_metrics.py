"""Metrics on a worked example computed by hand, and properties that must hold for any ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_core.config import Settings
from ledger_core.decisions import Decision, decide
from ledger_core.ledger import correct, record, start_workflow, transition, workflow_ledger
from ledger_core.metrics import line_totals, outcome_metrics, week_period
from ledger_core.models import EntryDraft, Line, Region, SpecSignal, WorkflowState, reversal_of
from ledger_core.report import team_report
from ledger_core.store import EmbeddedStore


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def worked(tmp_path):
    """Week 2026-W10 (2–8 March). A and B verified, C merged with an incident, D abandoned."""
    store = EmbeddedStore(tmp_path / "store")
    cfg = Settings(store=str(tmp_path / "store"))
    S = SpecSignal
    start_workflow(store, "A", value_usd=Decimal(1000), signals=frozenset(S), at=at(2, 9))
    start_workflow(store, "B", signals=frozenset({S.SPEC}), at=at(2, 10))
    start_workflow(store, "C", signals=frozenset({S.CRITERIA}), at=at(3))
    start_workflow(store, "D", at=at(3))
    usd = lambda wf, line, amount, day, **kw: record(store, cfg, line, wf, usd=Decimal(amount), at=at(day), **kw)  # noqa: E731
    usd("A", Line.INFERENCE, 10, 2)
    record(store, cfg, Line.REVIEW, "A", minutes=Decimal(30), role="senior", at=at(3))  # 30/60 × 120 × 1.25 = 75
    usd("A", Line.CONTEXT_PREP, 20, 2)
    usd("A", Line.INFERENCE, 100, 10)  # next week: outside the period
    usd("B", Line.INFERENCE, 30, 3)
    usd("B", Line.REWORK, 15, 4, kind="bounce", count=1)
    usd("C", Line.INFERENCE, 5, 3)
    usd("C", Line.REWORK, 0, 4, kind="bounce", count=2)
    usd("C", Line.ESCAPED_DEFECTS, 40, 8, kind="incident", count=1)
    usd("D", Line.INFERENCE, 25, 4)
    regions = [
        Region(workflow="A", path="/r/a.py", start_line=1, end_line=10, content_hash="h1", created_at=at(2)),
        Region(workflow="A", path="/r/a.py", start_line=20, end_line=24, content_hash="h2", created_at=at(2)),
        Region(workflow="B", path="/r/b.py", start_line=1, end_line=2, content_hash="h3", created_at=at(3)),
    ]
    store.put_regions(regions)
    decide(store, cfg, regions[0].id, Decision.ACCEPT, minutes=Decimal(0), at=at(3, 12))
    decide(store, cfg, regions[1].id, Decision.REJECT, minutes=Decimal(0), at=at(3, 12))
    decide(store, cfg, regions[2].id, Decision.REWORK, minutes=Decimal(0), at=at(4, 12))  # a second bounce for B
    transition(store, "A", WorkflowState.MERGED, at=at(3))
    transition(store, "A", WorkflowState.VERIFIED, at=at(4))
    transition(store, "B", WorkflowState.MERGED, at=at(5, 10))
    transition(store, "B", WorkflowState.VERIFIED, at=at(6, 10))
    transition(store, "C", WorkflowState.MERGED, at=at(5))
    transition(store, "D", WorkflowState.ABANDONED, at=at(5))
    return store


def test_worked_example_matches_hand_computation(worked):
    report = team_report(worked, week_period("2026-W10"))
    m = report.metrics
    assert m.total_cost_usd == Decimal(220)  # A 105 + B 45 + C 45 + D 25
    assert m.verified_outcomes == 2
    assert m.cost_per_verified_outcome == Decimal(110)
    assert m.value_per_verified_outcome == Decimal(500)  # 1000 over both verified workflows
    assert m.return_on_cost == Decimal(500) / Decimal(110)
    assert m.invoice_share == Decimal(70) / Decimal(220)
    assert m.acceptance_rate == Decimal(1) / Decimal(3)
    assert m.acceptance_rate_lines == Decimal(10) / Decimal(17)
    assert m.workflows_merged == 3
    assert m.rework_rate == Decimal(2) / Decimal(3)
    assert m.bounces_per_workflow == Decimal(4) / Decimal(3)
    assert m.defect_escape_rate == Decimal(1) / Decimal(3)
    assert m.cycle_time_median_hours == pytest.approx(72.0)
    assert m.cycle_time_p90_hours == pytest.approx(91.2)
    assert m.review_minutes == Decimal(30)
    assert m.review_minutes_per_accepted_line == Decimal(3)
    assert m.context_prep_share == Decimal(20) / Decimal(220)
    clarity = {b.clarity: b for b in report.clarity}
    assert clarity[5].cost_per_verified_outcome == Decimal(105) and clarity[5].rework_rate == 0
    assert clarity[1].cost_per_verified_outcome == Decimal(90) and clarity[1].rework_rate == 1
    assert clarity[None].cost_per_verified_outcome is None


def test_metric_without_denominator_is_none(tmp_path):
    store = EmbeddedStore(tmp_path / "s")
    m = team_report(store, week_period("2026-W10")).metrics
    assert m.cost_per_verified_outcome is None and m.invoice_share is None and m.rework_rate is None
    assert m.cycle_time_median_hours is None and m.total_cost_usd == 0


def test_reversal_nets_the_workflow_to_its_previous_total(worked):
    before = workflow_ledger(worked, "B").total_cost_usd
    entry = next(e for e in worked.entries(workflow="B") if e.line == Line.REWORK and e.kind == "bounce" and e.cost_usd)
    correct(worked, entry.id)
    after = workflow_ledger(worked, "B")
    assert after.total_cost_usd == before - entry.cost_usd
    assert after.lines[Line.REWORK].count == 1  # the region's bounce is left


money = st.decimals(min_value=0, max_value=10_000, places=4, allow_nan=False, allow_infinity=False)
drafts = st.builds(
    EntryDraft,
    workflow=st.sampled_from(["W1", "W2"]),
    line=st.sampled_from(list(Line)),
    cost_usd=money,
    minutes=st.decimals(min_value=0, max_value=600, places=2),
    count=st.integers(min_value=0, max_value=50),
)


@given(st.lists(drafts, max_size=40))
@settings(max_examples=60, deadline=None)
def test_total_equals_sum_of_lines(batch):
    entries = [
        _as_entry(d, i) for i, d in enumerate(batch)
    ]
    totals = line_totals(entries)
    assert set(totals) == set(Line)
    assert sum((t.cost_usd for t in totals.values()), Decimal(0)) == sum((d.cost_usd for d in batch), Decimal(0))
    assert sum(t.entries for t in totals.values()) == len(batch)


@given(st.lists(drafts, min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_reversing_entries_net_to_zero(batch):
    entries = [_as_entry(d, i) for i, d in enumerate(batch)]
    reversals = [_as_entry(reversal_of(e), len(entries) + i) for i, e in enumerate(entries)]
    totals = line_totals(entries + reversals)
    for t in totals.values():
        assert t.cost_usd == 0 and t.minutes == 0 and t.count == 0 and t.entries == 0


@given(st.lists(drafts, max_size=30))
@settings(max_examples=40, deadline=None)
def test_invoice_and_context_shares_are_fractions(batch):
    entries = [_as_entry(d, i) for i, d in enumerate(batch)]
    m = outcome_metrics(entries, [], [], week_period("2026-W10").model_copy(update={"since": None, "until": None}))
    for share in (m.invoice_share, m.context_prep_share):
        assert share is None or 0 <= share <= 1


def _as_entry(draft: EntryDraft, seq: int):
    from ledger_core.models import Entry

    return Entry.model_construct(**dict(draft), id=f"e{seq}", seq=seq, recorded_at=draft.ts, prev_hash="", hash="")
