"""The chart module: the Slack digest PNG, labelled inline SVG, and the weekly trend behind them."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import matplotlib.image
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_core import charts
from ledger_core.audit import build_audit
from ledger_core.html_reports import audit_html
from ledger_core.ledger import start_workflow
from ledger_core.metrics import Period, make_period, outcome_metrics, week_period
from ledger_core.models import GENESIS_HASH, Entry, Line, Transition, Workflow, WorkflowState
from ledger_core.report import build_report, team_report
from ledger_core.store import EmbeddedStore


def _store(team_ledger) -> EmbeddedStore:
    return EmbeddedStore(team_ledger.root / "store")


def test_digest_chart_png_is_an_image_of_the_weekly_invoice_and_full_cost(team_ledger):
    report = team_report(_store(team_ledger), Period())
    png = charts.digest_chart_png(report)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    height, width, _ = matplotlib.image.imread(io.BytesIO(png)).shape
    assert width > 600 and height > 200
    chart = charts.invoice_vs_full_cost_weekly(report)
    assert [row[0] for row in chart.rows] == [p.period for p in report.trend] == ["2026-W10", "2026-W11"]
    assert sum(Decimal(row[1].strip("$").replace(",", "")) for row in chart.rows) == report.metrics.total_cost_usd.quantize(Decimal("0.01"))


def test_digest_chart_png_of_an_empty_period_still_renders(team_ledger):
    report = team_report(_store(team_ledger), make_period("2030-01-01", "2030-02-01"))
    assert report.trend == () or all(p.total_cost_usd == 0 for p in report.trend)
    assert charts.digest_chart_png(report).startswith(b"\x89PNG")


def test_svg_is_labelled_inline_deterministic_and_has_unique_ids(team_ledger):
    report = team_report(_store(team_ledger), Period())
    rendered = {slug: chart.svg() for slug, chart in charts.report_charts(report).items()}
    seen: set[str] = set()
    for slug, svg in rendered.items():
        assert svg.startswith('<svg role="img" aria-labelledby="' + f'{slug}-title {slug}-desc"'), slug
        assert "<?xml" not in svg and "<!DOCTYPE" not in svg
        assert f'<title id="{slug}-title">' in svg and f'<desc id="{slug}-desc">' in svg
        ids = re.findall(r'\bid="([^"]+)"', svg)
        assert all(i.startswith(f"{slug}-") for i in ids), slug
        assert not (set(ids) & seen)
        seen |= set(ids)
        for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', svg):
            assert ref in ids, f"{slug}: dangling reference #{ref}"
    again = charts.report_charts(report)["clarity"].svg()
    assert again == rendered["clarity"]


def test_chart_text_alternatives_are_escaped():
    svg = charts._inline_svg('<?xml version="1.0"?>\n<svg width="10pt" height="5pt" viewBox="0 0 10 5"><g id="a"/></svg>', "x", "A < B & C", 'say "hi"')
    assert "<title id=\"x-title\">A &lt; B &amp; C</title>" in svg and "say &quot;hi&quot;" in svg
    assert 'width="10pt"' not in svg and 'id="x-a"' in svg


def test_without_matplotlib_html_is_a_clean_cli_error_and_charts_an_import_error(empty_ledger, tmp_path):
    blocked = "import sys; sys.modules['matplotlib'] = None; "
    probe = subprocess.run(
        [sys.executable, "-c", blocked + "from ledger_core.errors import LedgerError\n"
         "try:\n    import ledger_core.charts\nexcept ImportError as e:\n    print(isinstance(e, LedgerError), e)"],
        capture_output=True, text=True, check=True, env=empty_ledger.env,
    )
    assert probe.stdout.startswith("True charts need matplotlib")
    out = tmp_path / "r.html"
    cli = subprocess.run(
        [sys.executable, "-c", blocked + "sys.argv = ['opledger', 'report', '--format', 'html', '-o', sys.argv[1]]; "
         "from ledger_core.entry import main; main()", str(out)],
        capture_output=True, text=True, check=False, env=empty_ledger.env,
    )
    assert cli.returncode == 2 and "error: charts need matplotlib" in cli.stderr and "Traceback" not in cli.stderr
    assert not out.exists()


def test_audit_of_a_fresh_workflow_renders_without_charts(tmp_path):
    store = EmbeddedStore(tmp_path / "store")
    start_workflow(store, "NEW-1", title="Nothing yet")
    html = audit_html(build_audit(store, "NEW-1"))
    assert "No data to chart" in html and "Not verified: no evidence recorded yet." in html
    assert "<svg" in html  # the timeline still shows the start


_START = datetime(2026, 3, 2, tzinfo=UTC)


def _entry(n: int, hours: int, workflow: str, line: Line, cents: int) -> Entry:
    ts = _START + timedelta(hours=hours)
    return Entry.model_construct(
        ts=ts, workflow=workflow, line=line, kind="time", tokens=None, minutes=Decimal(0), count=0, cost_usd=Decimal(cents) / 100,
        unpriced=False, model=None, price_version=None, actor=None, role=None, source="test", source_ref=str(n), session=None, region=None,
        reverses=None, note=None, attrs={}, id=f"e{n}", seq=n, recorded_at=ts, prev_hash=GENESIS_HASH, hash=GENESIS_HASH,
    )


entries_strategy = st.lists(
    st.tuples(st.integers(0, 24 * 40), st.sampled_from(["A", "B", "C"]), st.sampled_from(list(Line)), st.integers(0, 50_000)),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(
    raw=entries_strategy,
    verified=st.lists(st.integers(0, 24 * 40), min_size=3, max_size=3),
    bounds=st.one_of(st.none(), st.tuples(st.integers(0, 20), st.integers(1, 25))),
)
def test_weekly_trend_equals_the_metric_of_each_week(raw, verified, bounds):
    """The report computes the trend in one pass; each point must equal the DESIGN.md metric of its week."""
    entries = [_entry(n, hours, wf, line, cents) for n, (hours, wf, line, cents) in enumerate(raw)]
    workflows = [
        Workflow(key=key, value_usd=Decimal(100 * (i + 1)), state=WorkflowState.VERIFIED, created_at=_START,
                 transitions=(Transition(state=WorkflowState.OPEN, at=_START), Transition(state=WorkflowState.VERIFIED, at=_START + timedelta(hours=h))))
        for i, (key, h) in enumerate(zip("ABC", verified, strict=True))
    ]
    period = Period()
    if bounds:
        since = _START + timedelta(days=bounds[0])
        period = Period(since=since, until=since + timedelta(days=bounds[1]))
    report = build_report(entries, workflows, [], period)
    for point in report.trend:
        expected = outcome_metrics(entries, workflows, [], week_period(point.period))
        assert point.total_cost_usd == expected.total_cost_usd
        assert point.verified_outcomes == expected.verified_outcomes
        assert point.cost_per_verified_outcome == expected.cost_per_verified_outcome
        assert point.value_per_verified_outcome == expected.value_per_verified_outcome
        assert point.invoice_share == expected.invoice_share
