"""Every chart opledger draws, on matplotlib: inline SVG for the HTML reports, PNG for Slack.

Why matplotlib. The same figure code must produce two artefacts: vector SVG that sits
inline in a self-contained HTML page (no JavaScript, no CDN, readable from file://, in a
mail client and on paper) and a PNG that a Slack digest can upload. matplotlib renders both
offline from one ``Figure`` and is a long-maintained, widely packaged library. Vega-Lite
would need either a ~1 MB JavaScript runtime inlined into every page or a separate
renderer binary for PNG; hand-written SVG strings would mean re-implementing axes, ticks,
scaling and legends. We use the object API (``Figure`` + the Agg/SVG backends) rather than
``pyplot``, so no global state is shared between threads or reports.

A ``Chart`` carries its figure together with its text alternative: a title, a one-line
description of what it shows, and the data as table rows. The HTML report writes the title
and description into the SVG (``<title>``/``<desc>``, ``role="img"``) and the rows as a
fallback table, so nothing in a picture exists only as a picture.

Colours are the Okabe–Ito palette, which stays distinguishable under the common forms of
colour blindness; series are also told apart by marker or hatch, not by colour alone.

This module knows nothing of HTML, Slack or the CLI: it takes ledger data and returns charts.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import ParamSpec

from .audit import Audit
from .errors import LedgerError
from .models import Line
from .report import TeamReport


class ChartsUnavailable(LedgerError, ImportError):
    """matplotlib is missing: a clean CLI error, and still an ImportError for optional callers."""


try:
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
except ModuleNotFoundError as exc:  # the `reports` extra is optional for the core
    raise ChartsUnavailable("charts need matplotlib: pip install 'ai-operating-ledger[reports]'") from exc

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}

# One colour per ledger line, everywhere (HTML legend swatches use the same map).
LINE_COLOURS: dict[Line, str] = {
    Line.INFERENCE: OKABE_ITO["blue"],
    Line.CONTEXT_PREP: OKABE_ITO["orange"],
    Line.REVIEW: OKABE_ITO["sky"],
    Line.REWORK: OKABE_ITO["vermillion"],
    Line.ESCAPED_DEFECTS: OKABE_ITO["black"],
    Line.EVALUATION: OKABE_ITO["green"],
    Line.GOVERNANCE: OKABE_ITO["purple"],
    Line.INSTITUTIONAL_MEMORY: OKABE_ITO["yellow"],
}
LINE_MARKERS: dict[Line, str] = {
    Line.INFERENCE: "o",
    Line.CONTEXT_PREP: "s",
    Line.REVIEW: "D",
    Line.REWORK: "X",
    Line.ESCAPED_DEFECTS: "P",
    Line.EVALUATION: "^",
    Line.GOVERNANCE: "v",
    Line.INSTITUTIONAL_MEMORY: "*",
}
INVOICE_COLOUR = OKABE_ITO["blue"]
FULL_COST_COLOUR = OKABE_ITO["orange"]

_STYLE = {
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "svg.fonttype": "none",  # real <text>: a fraction of the size of glyph paths, and selectable
    "svg.hashsalt": "opledger",  # stable ids, so the same data renders to the same bytes
}

P = ParamSpec("P")
Cell = str | int | float | Decimal | None


@dataclass(frozen=True)
class Chart:
    """A figure with its text alternative: what it is, what it shows, and its data as rows."""

    slug: str
    title: str
    description: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    figure: Figure | None = field(default=None, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        return self.figure is None

    def svg(self) -> str:
        """Inline SVG (no XML prolog), labelled for assistive technology, with unique ids."""
        if self.figure is None:
            return ""
        buf = io.StringIO()
        with rc_context(_STYLE):
            self.figure.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return _inline_svg(buf.getvalue(), self.slug, self.title, self.description)

    def png(self, dpi: int = 144) -> bytes:
        if self.figure is None:
            raise ValueError(f"chart {self.slug!r} has no data to draw")
        buf = io.BytesIO()
        with rc_context(_STYLE):
            self.figure.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        return buf.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


_ID = re.compile(r'\bid="([^"]+)"')


def _inline_svg(svg: str, slug: str, title: str, description: str) -> str:
    # Drop the XML prolog and DOCTYPE: inside HTML they are invalid.
    svg = svg[svg.index("<svg") :]
    # matplotlib's ids are content hashes, so two charts on one page can share ids; prefix
    # every id and every reference to it with the chart's slug.
    ids = set(_ID.findall(svg))
    if ids:
        pattern = re.compile(r'(id="|href="#|url\(#)(' + "|".join(map(re.escape, sorted(ids, key=len, reverse=True))) + r")\b")
        svg = pattern.sub(lambda m: f"{m.group(1)}{slug}-{m.group(2)}", svg)
    # Scale with the page instead of fixed points; keep the aspect ratio via viewBox.
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"<svg\1", svg, count=1)
    head_end = svg.index(">") + 1
    label = (
        f'<svg role="img" aria-labelledby="{slug}-title {slug}-desc" class="chart-svg"'
        + svg[4:head_end]
        + f'<title id="{slug}-title">{_escape(title)}</title><desc id="{slug}-desc">{_escape(description)}</desc>'
    )
    return label + svg[head_end:]


def _styled(build: Callable[P, Chart]) -> Callable[P, Chart]:
    """Build the chart under the house style; rc settings are read while artists are made."""

    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Chart:
        with rc_context(_STYLE):
            return build(*args, **kwargs)

    return wrapper


def _figure(width: float = 7.0, height: float = 3.0) -> Figure:
    return Figure(figsize=(width, height))


# Margins are set in inches from the labels' lengths instead of by matplotlib's constrained
# layout, which measures every artist in an extra full draw and more than doubled render time.
CHAR_IN = 0.07  # average width of one 9 pt DejaVu Sans character, in inches
USD_TICKS_IN = 0.6  # room for "$12.5k"


def _labels_in(labels: Sequence[object]) -> float:
    return max((len(str(label)) for label in labels), default=0) * CHAR_IN + 0.2


def _place(fig: Figure, *, left: float = USD_TICKS_IN, right: float = 0.15, bottom: float = 0.5, top: float = 0.12,
           wspace: float | None = None) -> None:
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height, wspace=wspace)


def _legend_above(ax, ncols: int, **kwargs) -> None:
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=ncols, borderaxespad=0.2, **kwargs)


def _axes(fig: Figure, *args, **kwargs):
    return fig.add_subplot(*args, **kwargs)


def _f(value: Decimal | float | None) -> float:
    return float(value) if value is not None else float("nan")


def _usd_axis(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: _usd_tick(v)))


def _usd_tick(value: float) -> str:
    if abs(value) >= 1000:
        return f"${value / 1000:,.1f}k"
    return f"${value:,.0f}" if abs(value) >= 10 or value == 0 else f"${value:,.2f}"


def _money(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}"


def _pct(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return "<1%" if 0 < float(value) < 0.005 else f"{float(value):.0%}"


def _count_tick(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"{value:,.0f}"


# ---------------------------------------------------------------- team report charts


@_styled
def invoice_vs_full_cost_weekly(report: TeamReport) -> Chart:
    """Per week: the full cost beside the part the model invoice shows."""
    weeks = [p.period for p in report.trend]
    full = [p.total_cost_usd for p in report.trend]
    invoice = [p.total_cost_usd * p.invoice_share if p.invoice_share is not None else Decimal(0) for p in report.trend]
    rows = tuple((w, _money(f), _money(i), _pct(p.invoice_share)) for w, f, i, p in zip(weeks, full, invoice, report.trend, strict=True))
    chart = Chart(
        "invoice-weekly",
        "Model invoice vs. full cost, by week",
        "Bars per ISO week: the full cost of AI-assisted work (all eight ledger lines) and, inside it, "
        "the model invoice (inference only).",
        ("week", "full cost", "model invoice", "invoice share"),
        rows,
    )
    if not weeks:
        return chart
    fig = _figure(7.0, 3.0)
    ax = _axes(fig)
    xs = range(len(weeks))
    ax.bar(xs, [_f(v) for v in full], width=0.7, color=FULL_COST_COLOUR, label="full cost")
    ax.bar(xs, [_f(v) for v in invoice], width=0.4, color=INVOICE_COLOUR, hatch="///", edgecolor="white", linewidth=0, label="model invoice")
    if len(weeks) <= 16:
        labels = [_pct(p.invoice_share) if p.invoice_share is not None else "" for p in report.trend]
        ax.bar_label(ax.containers[0], labels=labels, padding=2, fontsize=7, color="#333333")
    ax.set_xticks(list(xs), [w.split("-")[-1] if len(weeks) > 1 else w for w in weeks])
    ax.set_xlabel(f"ISO week ({weeks[0]} … {weeks[-1]}); label = invoice share" if len(weeks) > 1 else "ISO week; label = invoice share")
    _usd_axis(ax.yaxis)
    ax.margins(y=0.12)
    _legend_above(ax, 2)
    ax.set_title("Model invoice vs. full cost", loc="left", pad=8)
    _place(fig, top=0.4, bottom=0.55)
    return _with(chart, fig)


def digest_chart_png(report: TeamReport) -> bytes:
    """The Slack digest image: invoice vs. full cost per week (PNG bytes).

    With no weekly data at all, a small image that says so, so the digest never breaks.
    """
    chart = invoice_vs_full_cost_weekly(report)
    if chart.empty:
        fig = _figure(6.0, 1.2)
        fig.text(0.5, 0.5, f"No ledger entries in {report.period.label}", ha="center", va="center")
        chart = _with(chart, fig)
    return chart.png()


@_styled
def outcome_trend(report: TeamReport) -> Chart:
    """Cost and value per verified outcome, by week."""
    rows = tuple((p.period, p.verified_outcomes, _money(p.cost_per_verified_outcome), _money(p.value_per_verified_outcome)) for p in report.trend)
    chart = Chart(
        "outcome-trend",
        "Cost and value per verified outcome, by week",
        "Lines per ISO week: cost per verified outcome (circles) and value per verified outcome (squares); "
        "weeks without a verified outcome have no point.",
        ("week", "verified outcomes", "cost per verified outcome", "value per verified outcome"),
        rows,
    )
    if not any(p.cost_per_verified_outcome is not None for p in report.trend):
        return chart
    fig = _figure(7.0, 3.0)
    ax = _axes(fig)
    xs = list(range(len(report.trend)))
    ax.plot(xs, [_f(p.cost_per_verified_outcome) for p in report.trend], marker="o", color=OKABE_ITO["vermillion"], label="cost per verified outcome")
    ax.plot(xs, [_f(p.value_per_verified_outcome) for p in report.trend], marker="s", linestyle="--", color=OKABE_ITO["green"], label="value per verified outcome")
    ax.set_xticks(xs, [p.period.split("-")[-1] for p in report.trend])
    ax.set_xlabel("ISO week")
    _usd_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    _legend_above(ax, 2)
    _place(fig, top=0.35, bottom=0.55)
    return _with(chart, fig)


@_styled
def rates(report: TeamReport) -> Chart:
    """Acceptance, rework and defect-escape rates of the period."""
    m = report.metrics
    items = [("acceptance rate", m.acceptance_rate, OKABE_ITO["green"]), ("rework rate", m.rework_rate, OKABE_ITO["orange"]),
             ("defect escape rate", m.defect_escape_rate, OKABE_ITO["vermillion"])]
    chart = Chart(
        "rates",
        "Acceptance, rework and defect-escape rates",
        "Horizontal bars, 0–100 %: share of decided regions accepted, share of merged workflows with at least one "
        "bounce, and escaped defects per merged workflow.",
        ("rate", "value"),
        tuple((name, _pct(value)) for name, value, _ in items),
    )
    if all(value is None for _, value, _ in items):
        return chart
    fig = _figure(7.0, 1.8)
    ax = _axes(fig)
    ys = list(range(len(items)))[::-1]
    values = [min(_f(v), 1.0) if v is not None else 0.0 for _, v, _ in items]
    ax.barh(ys, values, color=[c for *_, c in items], height=0.6)
    for y, (_, value, _) in zip(ys, items, strict=True):
        ax.text(0.01 if value is None else min(float(value), 1.0) + 0.01, y, "no data" if value is None else _pct(value), va="center")
    ax.set_yticks(ys, [name for name, *_ in items])
    ax.set_xlim(0, 1.1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(axis="y", visible=False)
    _place(fig, left=_labels_in([name for name, *_ in items]), bottom=0.35)
    return _with(chart, fig)


@_styled
def cycle_time_distribution(report: TeamReport) -> Chart:
    hours = sorted(r.cycle_time_hours for r in report.workflows if r.cycle_time_hours is not None)
    m = report.metrics
    chart = Chart(
        "cycle-time",
        "Cycle time distribution",
        "Histogram of hours from start to verified outcome per verified workflow"
        + (f"; median {m.cycle_time_median_hours:.1f} h, p90 {m.cycle_time_p90_hours:.1f} h." if m.cycle_time_median_hours is not None else "."),
        ("workflow", "cycle time (hours)"),
        tuple((r.key, f"{r.cycle_time_hours:.1f}") for r in sorted(report.workflows, key=lambda r: r.cycle_time_hours or 0) if r.cycle_time_hours is not None),
    )
    if not hours:
        return chart
    fig = _figure(7.0, 2.6)
    ax = _axes(fig)
    ax.hist(hours, bins=min(20, max(3, len(hours))), color=OKABE_ITO["sky"], edgecolor="white")
    if m.cycle_time_median_hours is not None:
        ax.axvline(m.cycle_time_median_hours, color=OKABE_ITO["black"], linestyle="-", label=f"median {m.cycle_time_median_hours:.1f} h")
    if m.cycle_time_p90_hours is not None:
        ax.axvline(m.cycle_time_p90_hours, color=OKABE_ITO["vermillion"], linestyle="--", label=f"p90 {m.cycle_time_p90_hours:.1f} h")
    ax.set_xlabel("hours from start to verified outcome")
    ax.set_ylabel("workflows")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper right")
    _place(fig, left=0.6, bottom=0.55)
    return _with(chart, fig)


@_styled
def costliest_workflows(report: TeamReport, limit: int = 10) -> Chart:
    top = [r for r in report.workflows[:limit] if r.total_cost_usd]
    chart = Chart(
        "costliest",
        f"The {len(top)} costliest workflows",
        "Horizontal stacked bars: each workflow's cost split by ledger line, costliest at the top.",
        ("workflow", "state", "total cost", "model invoice", "bounces", "incidents"),
        tuple((r.key, r.state.value, _money(r.total_cost_usd), _money(r.inference_cost_usd), r.bounces, r.incidents) for r in top),
    )
    if not top:
        return chart
    fig = _figure(11.0, 1.2 + 0.3 * len(top))
    ax = _axes(fig)
    ys = list(range(len(top)))[::-1]
    left = [0.0] * len(top)
    for line in Line:
        widths = [_f(r.lines.get(line, Decimal(0))) for r in top]
        if not any(widths):
            continue
        ax.barh(ys, widths, left=left, height=0.65, color=LINE_COLOURS[line], label=line.value.replace("_", " "))
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(ys, [_short(r.key) for r in top])
    _usd_axis(ax.xaxis)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=8, fontsize=8, borderaxespad=0.2)
    _place(fig, left=_labels_in([_short(r.key) for r in top]), bottom=0.35, top=0.35, right=0.3)
    return _with(chart, fig)


@_styled
def context_vs_rework(report: TeamReport) -> Chart:
    """Does preparing context pay? Context-prep cost against rework cost, one point per workflow."""
    points = [(r.key, r.lines.get(Line.CONTEXT_PREP, Decimal(0)), r.lines.get(Line.REWORK, Decimal(0)), r.clarity) for r in report.workflows]
    points = [p for p in points if p[1] or p[2]]
    chart = Chart(
        "prep-vs-rework",
        "Context-prep cost vs. rework cost per workflow",
        "Scatter, one point per workflow: context preparation cost (x) against rework cost (y); "
        "filled points had a spec clarity of 3 or more.",
        ("workflow", "context-prep cost", "rework cost", "spec clarity"),
        tuple((k, _money(c), _money(r), "unset" if s is None else f"{s}/5") for k, c, r, s in points),
    )
    if not points:
        return chart
    fig = _figure(7.0, 3.4)
    ax = _axes(fig)
    clear = [p for p in points if p[3] is not None and p[3] >= 3]
    vague = [p for p in points if p[3] is None or p[3] < 3]
    if clear:
        ax.scatter([_f(p[1]) for p in clear], [_f(p[2]) for p in clear], s=22, color=OKABE_ITO["blue"], marker="o", alpha=0.8, label="clarity ≥ 3")
    if vague:
        ax.scatter([_f(p[1]) for p in vague], [_f(p[2]) for p in vague], s=26, facecolors="none", edgecolors=OKABE_ITO["vermillion"],
                   marker="D", alpha=0.9, label="clarity < 3 or unset")
    ax.set_xlabel("context-prep cost")
    ax.set_ylabel("rework cost")
    _usd_axis(ax.xaxis)
    _usd_axis(ax.yaxis)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right")
    _place(fig, left=0.85, bottom=0.6, right=0.25)
    return _with(chart, fig)


@_styled
def by_spec_clarity(report: TeamReport) -> Chart:
    buckets = list(report.clarity)
    chart = Chart(
        "clarity",
        "Cost per verified outcome and rework rate by spec clarity",
        "Two bar charts over spec clarity 0–5 (signals of a well-posed request present when agent work began): "
        "cost per verified outcome, and share of merged workflows with a bounce.",
        ("spec clarity", "workflows", "verified outcomes", "cost per verified outcome", "rework rate"),
        tuple(("unset" if b.clarity is None else f"{b.clarity}/5", b.workflows, b.verified_outcomes, _money(b.cost_per_verified_outcome), _pct(b.rework_rate))
              for b in buckets),
    )
    if not buckets:
        return chart
    fig = _figure(7.0, 2.6)
    labels = ["unset" if b.clarity is None else str(b.clarity) for b in buckets]
    left, right = _axes(fig, 1, 2, 1), _axes(fig, 1, 2, 2)
    left.bar(labels, [_f(b.cost_per_verified_outcome) for b in buckets], color=OKABE_ITO["vermillion"])
    left.set_title("cost per verified outcome")
    left.set_xlabel("spec clarity (signals of 5)")
    _usd_axis(left.yaxis)
    right.bar(labels, [_f(b.rework_rate) for b in buckets], color=OKABE_ITO["orange"])
    right.set_title("rework rate")
    right.set_xlabel("spec clarity (signals of 5)")
    right.yaxis.set_major_formatter(PercentFormatter(1.0))
    right.set_ylim(0, 1.05)
    for ax in (left, right):
        ax.grid(axis="x", visible=False)
    _place(fig, bottom=0.55, top=0.3, wspace=0.3)
    return _with(chart, fig)


@_styled
def cost_by_line(lines: dict[Line, Decimal], slug: str = "lines") -> Chart:
    total = sum(lines.values(), Decimal(0))
    chart = Chart(
        slug,
        "Where the money went, by ledger line",
        "Horizontal bars: cost on each of the eight ledger lines.",
        ("ledger line", "cost", "share"),
        tuple((line.value, _money(cost), _pct(cost / total if total else None)) for line, cost in lines.items()),
    )
    if not total:
        return chart
    fig = _figure(7.0, 2.6)
    ax = _axes(fig)
    ys = list(range(len(lines)))[::-1]
    ax.barh(ys, [_f(c) for c in lines.values()], color=[LINE_COLOURS[line] for line in lines], height=0.65, edgecolor="#333333", linewidth=0.3)
    ax.set_yticks(ys, [line.value.replace("_", " ") for line in lines])
    _usd_axis(ax.xaxis)
    ax.grid(axis="y", visible=False)
    _place(fig, left=_labels_in([line.value for line in lines]), bottom=0.35, right=0.3)
    return _with(chart, fig)


@_styled
def tokens_by_kind(report: TeamReport) -> Chart:
    g = report.generation
    kinds = (("input", g.input_tokens), ("output", g.output_tokens), ("cache write", g.cache_write_tokens), ("cache read", g.cache_read_tokens))
    chart = Chart(
        "tokens",
        "Tokens by kind",
        "Horizontal bars: tokens spent in the period by kind (activity, not value).",
        ("token kind", "tokens"),
        tuple((k, f"{v:,}") for k, v in kinds),
    )
    if not g.tokens:
        return chart
    fig = _figure(7.0, 1.8)
    ax = _axes(fig)
    ys = list(range(len(kinds)))[::-1]
    ax.barh(ys, [v for _, v in kinds], color=OKABE_ITO["grey"], height=0.6)
    ax.set_yticks(ys, [k for k, _ in kinds])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _count_tick(v)))
    ax.grid(axis="y", visible=False)
    _place(fig, left=_labels_in([k for k, _ in kinds]), bottom=0.35, right=0.3)
    return _with(chart, fig)


def report_charts(report: TeamReport) -> dict[str, Chart]:
    """All charts of the team report, by slug, in reading order."""
    charts = (
        outcome_trend(report), invoice_vs_full_cost_weekly(report), rates(report), cycle_time_distribution(report),
        cost_by_line(report.lines), costliest_workflows(report), context_vs_rework(report), by_spec_clarity(report),
        tokens_by_kind(report),
    )
    return {c.slug: c for c in charts}


# ---------------------------------------------------------------- audit charts


@_styled
def audit_timeline(audit: Audit) -> Chart:
    """Every entry of the workflow on a time axis, one row per ledger line, sized by cost."""
    wf = audit.workflow
    items = sorted(itertools.chain.from_iterable(s.items for s in audit.sections), key=lambda i: i.ts)
    milestones = [(name, at) for name, at in (("started", wf.started_at), ("merged", wf.merged_at), ("verified", wf.verified_at)) if at]
    milestones += [(f"incident {i.severity or ''}".strip(), i.opened_at) for i in audit.incidents]
    chart = Chart(
        "timeline",
        "Timeline from request to verified outcome",
        "Each ledger entry as a marker on its line's row over time (bigger = costlier); vertical lines mark start, "
        "merge, verification and incidents.",
        ("when (UTC)", "line", "kind", "cost"),
        tuple((f"{i.ts:%Y-%m-%d %H:%M}", i.line.value, i.kind, _money(i.cost_usd)) for i in items)
        + tuple((f"{at:%Y-%m-%d %H:%M}", "milestone", name, "") for name, at in sorted(milestones, key=lambda m: m[1])),
    )
    if not items and not milestones:
        return chart
    used = [line for line in Line if any(i.line == line for i in items)]
    fig = _figure(11.0, 1.2 + 0.34 * max(len(used), 2))
    ax = _axes(fig)
    rows = {line: n for n, line in enumerate(reversed(used))}
    biggest = max((abs(float(i.cost_usd)) for i in items), default=0.0) or 1.0
    for line in used:
        mine = [i for i in items if i.line == line]
        ax.scatter([i.ts for i in mine], [rows[line]] * len(mine), s=[18 + 140 * abs(float(i.cost_usd)) / biggest for i in mine],
                   color=LINE_COLOURS[line], marker=LINE_MARKERS[line], edgecolors="#333333", linewidths=0.4, alpha=0.85, zorder=3)
    styles = {"started": ":", "merged": "--", "verified": "-"}
    for name, at in milestones:
        ax.axvline(at, color=OKABE_ITO["vermillion"] if name.startswith("incident") else OKABE_ITO["black"], linestyle=styles.get(name, "-."), linewidth=1)
        ax.annotate(name, (at, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right", fontsize=7)
    ax.set_yticks(list(rows.values()) or [0], [line.value.replace("_", " ") for line in rows] or [""])
    ax.set_ylim(-0.7, max(len(used), 1) - 0.3)
    ax.grid(axis="y", visible=False)
    _date_axis(ax, [i.ts for i in items] + [at for _, at in milestones])
    _place(fig, left=_labels_in([line.value for line in rows] or [""]), bottom=0.6, top=0.1, right=0.3)
    return _with(chart, fig)


def _date_axis(ax, moments: Sequence[datetime]) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=3)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if len(set(moments)) == 1:  # one moment: give the axis some width
        from datetime import timedelta

        ax.set_xlim(moments[0] - timedelta(hours=1), moments[0] + timedelta(hours=1))


@_styled
def cost_waterfall(audit: Audit) -> Chart:
    """The full cost built up line by line, the invoice first."""
    sums = {line: Decimal(0) for line in Line}
    for item in itertools.chain.from_iterable(s.items for s in audit.sections):
        sums[item.line] += item.cost_usd
    steps = [(line, cost) for line, cost in sums.items() if cost]
    chart = Chart(
        "waterfall",
        "Cost waterfall by ledger line",
        "Waterfall: each ledger line's cost stacked on the running total, from the model invoice to the full cost "
        f"of {_money(audit.total_cost_usd)}.",
        ("ledger line", "cost", "running total"),
        tuple((line.value, _money(cost), _money(sum((c for _, c in steps[: n + 1]), Decimal(0)))) for n, (line, cost) in enumerate(steps))
        + (("total", _money(audit.total_cost_usd), _money(audit.total_cost_usd)),),
    )
    if not steps:
        return chart
    fig = _figure(7.0, 2.8)
    ax = _axes(fig)
    running = 0.0
    for n, (line, cost) in enumerate(steps):
        ax.bar(n, float(cost), bottom=running, color=LINE_COLOURS[line], edgecolor="#333333", linewidth=0.4)
        running += float(cost)
        if n + 1 < len(steps):
            ax.plot([n + 0.4, n + 0.6], [running, running], color="#666666", linewidth=0.8)
    ax.bar(len(steps), running, color="#ffffff", edgecolor=OKABE_ITO["black"], linewidth=1.2, hatch="//")
    ax.set_xticks(list(range(len(steps) + 1)), [line.value.replace("_", "\n") for line, _ in steps] + ["full\ncost"], fontsize=7)
    _usd_axis(ax.yaxis)
    ax.grid(axis="x", visible=False)
    _place(fig, bottom=0.55)
    return _with(chart, fig)


@_styled
def invoice_vs_full_cost(invoice: Decimal, total: Decimal, slug: str = "invoice") -> Chart:
    """Two bars: what the vendor bill shows, and what the work really cost."""
    chart = Chart(
        slug,
        "Model invoice vs. full cost",
        f"Two horizontal bars: the model invoice {_money(invoice)} against the full cost {_money(total)}"
        + (f"; the invoice is {_pct(invoice / total)} of it." if total else "."),
        ("measure", "cost"),
        (("model invoice", _money(invoice)), ("full cost", _money(total))),
    )
    if not total:
        return chart
    fig = _figure(7.0, 1.3)
    ax = _axes(fig)
    ax.barh([1, 0], [float(invoice), float(total)], color=[INVOICE_COLOUR, FULL_COST_COLOUR], height=0.6)
    ax.bar_label(ax.containers[0], labels=[_money(invoice), _money(total)], padding=3)
    ax.set_yticks([1, 0], ["model invoice", "full cost"])
    ax.set_xlim(0, float(total) * 1.18)
    _usd_axis(ax.xaxis)
    ax.grid(axis="y", visible=False)
    _place(fig, left=_labels_in(["model invoice"]), bottom=0.35, top=0.08, right=0.3)
    return _with(chart, fig)


def audit_charts(audit: Audit) -> dict[str, Chart]:
    charts = (audit_timeline(audit), invoice_vs_full_cost(audit.invoice_usd, audit.total_cost_usd), cost_waterfall(audit))
    return {c.slug: c for c in charts}


def _with(chart: Chart, fig: Figure) -> Chart:
    return Chart(chart.slug, chart.title, chart.description, chart.columns, chart.rows, fig)


def _short(key: str, width: int = 28) -> str:
    return key if len(key) <= width else key[: width - 1] + "…"
