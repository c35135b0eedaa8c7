"""Turn an ``Audit`` or a ``TeamReport`` into one HTML page: view data, charts, templates."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..audit import Audit, money
from ..charts import LINE_COLOURS, Chart, audit_charts, report_charts
from ..models import Line
from ..report import TeamReport


def _pct(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return "<1%" if 0 < float(value) < 0.005 else f"{float(value):.0%}"


def _hours(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{float(value):,.1f} h"


def _minutes(value: Decimal | None) -> str:
    return "—" if not value else f"{value.normalize():f} min"


def _when(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}"


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ledger_core.html_reports", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, pct=_pct, hours=_hours, minutes=_minutes, when=_when)
    env.globals.update(Line=Line, colours=LINE_COLOURS)
    return env


@functools.cache
def _css() -> Markup:
    return Markup(files("ledger_core.html_reports").joinpath("templates/style.css").read_text(encoding="utf-8"))


def _svgs(charts: dict[str, Chart]) -> dict[str, Markup]:
    # The SVG is produced by our chart module from numbers, never from ledger text, and the
    # chart titles it embeds are escaped there; so it is safe to insert as markup.
    return {slug: Markup(chart.svg()) for slug, chart in charts.items()}


def _figure(label: str, value: str, note: str = "", cls: str = "") -> dict[str, str]:
    return {"label": label, "value": value, "note": note, "cls": cls}


def report_html(report: TeamReport) -> str:
    """The team report as a self-contained HTML page."""
    m, g = report.metrics, report.generation
    invoice = report.lines[Line.INFERENCE]
    summary = [
        _figure("cost per verified outcome", money(m.cost_per_verified_outcome), f"{m.verified_outcomes} verified outcomes"),
        _figure("value per verified outcome", money(m.value_per_verified_outcome),
                "" if m.return_on_cost is None else f"return {float(m.return_on_cost):.1f}× cost"),
        _figure("full cost", money(m.total_cost_usd), "all eight ledger lines", "full"),
        _figure("model invoice", money(invoice), f"{_pct(m.invoice_share)} of the full cost", "invoice"),
        _figure("acceptance rate", _pct(m.acceptance_rate), "of decided regions"),
        _figure("rework rate", _pct(m.rework_rate), f"of {m.workflows_merged} merged workflows"),
        _figure("defect escape rate", _pct(m.defect_escape_rate), "escaped defects per merged workflow"),
        _figure("cycle time", _hours(m.cycle_time_median_hours), f"median; p90 {_hours(m.cycle_time_p90_hours)}"),
    ]
    outcome_rows = [
        ("verified outcomes", str(m.verified_outcomes), "workflows verified in the period"),
        ("total cost", money(m.total_cost_usd), "every entry of the period, every line, abandoned work included"),
        ("cost per verified outcome", money(m.cost_per_verified_outcome), "total cost ÷ verified outcomes"),
        ("value per verified outcome", money(m.value_per_verified_outcome), "value of verified workflows ÷ their count"),
        ("return on cost", "—" if m.return_on_cost is None else f"{float(m.return_on_cost):.2f}×", "value per ÷ cost per verified outcome"),
        ("invoice share", _pct(m.invoice_share), "inference cost ÷ total cost"),
        ("acceptance rate", _pct(m.acceptance_rate), "accepted ÷ decided regions"),
        ("acceptance rate (lines)", _pct(m.acceptance_rate_lines), "weighted by lines"),
        ("rework rate", _pct(m.rework_rate), "merged workflows with a bounce ÷ merged workflows"),
        ("bounces per workflow", "—" if m.bounces_per_workflow is None else f"{float(m.bounces_per_workflow):.2f}", "per merged workflow"),
        ("defect escape rate", _pct(m.defect_escape_rate), "escaped defects ÷ merged workflows"),
        ("cycle time median / p90", f"{_hours(m.cycle_time_median_hours)} / {_hours(m.cycle_time_p90_hours)}", "start → verified"),
        ("review minutes", f"{m.review_minutes.normalize():f}", "human review time"),
        ("context-prep share", _pct(m.context_prep_share), "context preparation cost ÷ total cost"),
        ("unpriced entries", str(m.unpriced_entries), "model calls with no known price: flagged, never counted as $0"),
    ]
    generation_rows = [
        ("tokens", f"{g.tokens:,}"),
        ("input / output tokens", f"{g.input_tokens:,} / {g.output_tokens:,}"),
        ("cache write / read tokens", f"{g.cache_write_tokens:,} / {g.cache_read_tokens:,}"),
        ("model calls", f"{g.model_calls:,}"),
        ("agent sessions", f"{g.agent_sessions:,}"),
        ("regions written", f"{g.regions_written:,}"),
        ("lines written", f"{g.lines_written:,}"),
    ]
    charts = report_charts(report)
    heading = "Team report" + (f" · {report.team}" if report.team else "")
    return _environment().get_template("report.html").render(
        page_title=f"{heading} · {report.period.label}",
        heading=heading,
        subheading=f"Period: {report.period.label} · {len(report.workflows)} workflows with activity · "
        "what value survived review, and what did it really cost?",
        css=_css(),
        report=report,
        summary=summary,
        outcome_rows=outcome_rows,
        generation_rows=generation_rows,
        costliest=report.workflows[:15],
        charts=charts,
        svgs=_svgs(charts),
    )


def audit_html(audit: Audit) -> str:
    """The Ledger Audit of one workflow as a self-contained HTML page."""
    wf = audit.workflow
    items = [i for s in audit.sections for i in s.items]
    review_minutes: dict[str, Decimal] = defaultdict(Decimal)
    review_cost: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        if item.line == Line.REVIEW and item.region:
            review_minutes[item.region] += item.minutes
            review_cost[item.region] += item.cost_usd
    regions = [{"region": r, "minutes": review_minutes.get(r.id), "cost": review_cost.get(r.id)} for r in audit.regions]
    bounces = sum(1 for i in items if i.line == Line.REWORK and i.kind == "bounce")
    cycle = (wf.verified_at - wf.started_at).total_seconds() / 3600 if wf.verified_at else None
    share = audit.invoice_usd / audit.total_cost_usd if audit.total_cost_usd else None
    summary = [
        _figure("full cost", money(audit.total_cost_usd), "from prompt to verified outcome", "full"),
        _figure("model invoice", money(audit.invoice_usd), f"{_pct(share)} of the full cost", "invoice"),
        _figure("state", wf.state.value, f"verified {_when(wf.verified_at)} UTC" if wf.verified_at else ""),
        _figure("cycle time", _hours(cycle), "start → verified"),
        _figure("value", money(wf.value_usd), "estimate" if wf.value_usd is not None else "not estimated"),
        _figure("spec clarity", "—" if wf.clarity is None else f"{wf.clarity}/5", "signals when agent work began"),
        _figure("bounces", str(bounces), "work sent back"),
        _figure("incidents", str(len(audit.incidents)), "escaped defects"),
    ]
    charts = audit_charts(audit)
    facts = [f"state {wf.state.value}"] + [f"{k} {v}" for k, v in (("team", wf.team), ("owner", wf.owner)) if v]
    return _environment().get_template("audit.html").render(
        page_title=f"Ledger Audit · {wf.key}",
        heading=f"Ledger Audit — {wf.key}" + (f": {wf.title}" if wf.title else ""),
        subheading=" · ".join(facts),
        css=_css(),
        audit=audit,
        workflow=wf,
        evidence=audit.evidence,
        summary=summary,
        regions=regions,
        charts=charts,
        svgs=_svgs(charts),
    )
