"""Daily rollups give exactly the report that the entries give, for day-aligned periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger_core.metrics import Period, week_period
from ledger_core.models import EntryDraft, Line, Tokens
from ledger_core.report import build_report, team_report
from ledger_core.store import EmbeddedStore

START = datetime(2026, 3, 1, tzinfo=UTC)

facts = st.builds(
    EntryDraft,
    ts=st.integers(min_value=0, max_value=30 * 24 * 60).map(lambda m: START + timedelta(minutes=m)),
    workflow=st.sampled_from(["A", "B", "C"]),
    line=st.sampled_from(list(Line)),
    kind=st.sampled_from(["bounce", "incident", "model_call", "time"]),
    cost_usd=st.decimals(min_value=0, max_value=500, places=4),
    minutes=st.decimals(min_value=0, max_value=300, places=2),
    count=st.integers(min_value=0, max_value=3),
    unpriced=st.booleans(),
    session=st.sampled_from([None, "s1", "s2"]),
    tokens=st.one_of(st.none(), st.builds(Tokens, input=st.integers(0, 10**6), output=st.integers(0, 10**5), cache_read=st.integers(0, 10**6))),
)


@given(batch=st.lists(facts, min_size=1, max_size=40), reverse=st.sets(st.integers(0, 39), max_size=5))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rollup_report_equals_entry_report(tmp_path_factory, batch, reverse):
    from ledger_core.models import reversal_of

    store = EmbeddedStore(tmp_path_factory.mktemp("s") / "store")
    stored = store.append(batch).stored
    store.append([reversal_of(e) for i, e in enumerate(stored) if i in reverse])
    entries = store.entries()
    for period in (Period(), week_period("2026-W10"), Period(since=START + timedelta(days=3), until=START + timedelta(days=17))):
        by_rollups = team_report(store, period)
        by_entries = build_report(entries, store.workflows(), store.regions(), period)
        assert by_rollups.metrics == by_entries.metrics
        assert by_rollups.generation == by_entries.generation
        assert by_rollups.lines == by_entries.lines
        assert by_rollups.trend == by_entries.trend
        assert by_rollups.workflows == by_entries.workflows


def test_rollup_rows_live_in_the_segment_and_sum_its_entries(tmp_path):
    store = EmbeddedStore(tmp_path / "s")
    store.append([EntryDraft(workflow="A", line=Line.INFERENCE, kind="model_call", session="s1", cost_usd=Decimal("0.5"), count=1, ts=START) for _ in range(4)])
    rows = store.rollups()
    assert len(rows) == 1 and rows[0].cost_usd == Decimal(2) and rows[0].weight == 4 and rows[0].count == 4


def test_rollup_files_are_trusted_only_when_complete_and_checked_by_verify(tmp_path, monkeypatch):
    import json

    import ledger_core.store.embedded as embedded

    monkeypatch.setattr(embedded, "SEGMENT_SIZE", 5)
    root = tmp_path / "s"
    store = EmbeddedStore(root)
    store.append([EntryDraft(workflow="A", line=Line.REVIEW, kind="time", cost_usd=Decimal(1), ts=START) for _ in range(12)])
    assert sum(r.cost_usd for r in store.rollups()) == 12
    first = root / "entries" / "rollup-00000000.json"
    # A writer killed between the segment and its rollup file leaves a stale one: it is rebuilt.
    stale = json.loads(first.read_text())
    stale["count"] = 3
    first.write_text(json.dumps(stale))
    assert sum(r.cost_usd for r in EmbeddedStore(root).rollups()) == 12
    # An edited rollup file that claims to be complete is what verify reports.
    edited = json.loads((root / "entries" / "rollup-00000001.json").read_text())
    next(iter(edited["rows"].values()))["cost_usd"] = "99"
    (root / "entries" / "rollup-00000001.json").write_text(json.dumps(edited))
    report = EmbeddedStore(root).verify()
    assert [p.where for p in report.problems] == [str(root / "entries" / "rollup-00000001.json")]
