"""Read commands: ``show``, ``report``, ``audit`` (``verify`` lives in ``governance.py``)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from ..audit import audit_markdown, build_audit
from ..errors import InvalidInput
from ..ledger import WorkflowLedger, workflow_ledger
from ..metrics import bounces_by_workflow, make_period
from ..models import Line
from ..report import TeamReport, team_report
from .context import ctx_of
from .render import bar, console, money, pct, print_json, sparkline, to_json

Json = Annotated[bool, typer.Option("--json", help="JSON output for scripts.")]


def ledger_json(view: WorkflowLedger) -> dict:
    metrics = view.metrics.model_dump()
    return {
        "workflow": view.workflow.model_dump() | {"clarity": view.workflow.clarity, "started_at": view.workflow.started_at,
                                                  "merged_at": view.workflow.merged_at, "verified_at": view.workflow.verified_at},
        "lines": {line.value: totals.model_dump() for line, totals in view.lines.items()},
        "total_cost_usd": view.total_cost_usd,
        "metrics": metrics,
        "generation": view.generation.model_dump(),
        "regions": [r.model_dump(exclude={"text", "original_text"}) | {"lines": r.lines} for r in view.regions],
        "incidents": [i.model_dump() for i in view.incidents],
    }


def _daily_costs(view: WorkflowLedger) -> dict[date, float]:
    days: dict[date, float] = {}
    for entry in view.entries:
        days[entry.ts.date()] = days.get(entry.ts.date(), 0.0) + float(entry.cost_usd)
    return days


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def show(ctx: typer.Context, workflow: Annotated[str, typer.Argument(help="Workflow key.")], json: Json = False) -> None:
    """A workflow's ledger: the eight lines with quantities and cost, metrics, regions, incidents."""
    view = workflow_ledger(ctx_of(ctx).store, workflow)
    if json:
        print_json(ledger_json(view))
        return
    wf = view.workflow
    console.print(f"[bold]{wf.key}[/] {wf.title or ''} · {wf.state.value}" + (f" · team {wf.team}" if wf.team else "")
                  + (f" · spec clarity {wf.clarity}/5" if wf.clarity is not None else ""))
    total = view.total_cost_usd
    table = Table("line", "cost", "share", "", "minutes", "tokens", "count", "entries", title="Ledger")
    for line, t in view.lines.items():
        share = float(t.cost_usd / total) if total else 0.0
        table.add_row(line.value, money(t.cost_usd) + (" [yellow]*unpriced[/]" if t.unpriced else ""), pct(share), bar(share, 12),
                      f"{t.minutes.normalize():f}" if t.minutes else "", f"{t.tokens:,}" if t.tokens else "", str(t.count or ""), str(t.entries))
    table.add_row("[bold]total[/]", f"[bold]{money(total)}[/]", "", "", "", "", "", "")
    console.print(table)
    m = view.metrics
    invoice = view.lines[Line.INFERENCE].cost_usd
    console.print(f"model invoice {bar(float(invoice / total) if total else 0, 30)} {money(invoice)}\n"
                  f"full cost     {bar(1.0 if total else 0, 30)} {money(total)}")
    daily = _daily_costs(view)
    if len(daily) > 1:
        console.print(f"cost per day {min(daily)}…{max(daily)}: {sparkline([daily.get(day) for day in _days(min(daily), max(daily))])}")
    console.print(f"model invoice {money(view.lines[Line.INFERENCE].cost_usd)} = {pct(m.invoice_share)} of the full cost · "
                  f"acceptance {pct(m.acceptance_rate)} · bounces {max(bounces_by_workflow(view.entries).get(wf.key, 0), 0)} · "
                  f"context prep {pct(m.context_prep_share)} · review {m.review_minutes.normalize():f} min")
    if view.regions:
        regions = Table("file", "lines", "agent", "model", "state", title="Agent-written regions")
        for r in view.regions:
            regions.add_row(r.path, f"{r.start_line}–{r.end_line}", r.agent, r.model or "", r.state.value)
        console.print(regions)
    for incident in view.incidents:
        console.print(f"incident {incident.severity or ''} {incident.title or incident.link or incident.id}: {incident.remediation_hours} h")


def report_json(report: TeamReport) -> dict:
    return {
        "period": report.period.model_dump(),
        "team": report.team,
        "metrics": report.metrics.model_dump(),
        "generation": report.generation.model_dump(),
        "lines": {line.value: cost for line, cost in report.lines.items()},
        "clarity": [b.model_dump() for b in report.clarity],
        "trend": [p.model_dump() for p in report.trend],
        "workflows": [w.model_dump() | {"lines": {k.value: v for k, v in w.lines.items()}} for w in report.workflows],
        "policy_exceptions": report.policy_exceptions,
    }


def _trend_table(report: TeamReport) -> Table:
    """Weekly trend: bars for the full cost (invoice part shaded), sparklines per verified outcome."""
    trend = report.trend
    top = max((p.total_cost_usd for p in trend), default=0) or 1
    per = [float(p.cost_per_verified_outcome) if p.cost_per_verified_outcome is not None else None for p in trend]
    value = [float(p.value_per_verified_outcome) if p.value_per_verified_outcome is not None else None for p in trend]
    table = Table(title=f"Weekly trend · per verified outcome: cost {sparkline(per)}  value {sparkline(value)}",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for header in ("week", "full cost", "", "invoice", "verified", "cost/ver", "value/ver"):
        table.add_column(header, no_wrap=True, justify="left" if header in ("week", "") else "right")
    width = 10
    for point in trend:
        invoice = point.total_cost_usd * point.invoice_share if point.invoice_share is not None else 0
        full = bar(float(point.total_cost_usd / top), width)
        shaded = int(float(invoice / top) * width)
        table.add_row(point.period, money(point.total_cost_usd), f"[blue]{full[:shaded]}[/][yellow]{full[shaded:]}[/]",
                      pct(point.invoice_share), str(point.verified_outcomes), money(point.cost_per_verified_outcome), money(point.value_per_verified_outcome))
    return table


def render_report(report: TeamReport) -> None:
    m, g = report.metrics, report.generation
    console.print(f"[bold]Team report[/] · {report.period.label}" + (f" · team {report.team}" if report.team else ""))
    outcome = Table("outcome metric", "value", title="Outcomes (what survived review)")
    for name, value in (
        ("verified outcomes", str(m.verified_outcomes)),
        ("cost per verified outcome", money(m.cost_per_verified_outcome)),
        ("value per verified outcome", money(m.value_per_verified_outcome)),
        ("return on cost", "—" if m.return_on_cost is None else f"{float(m.return_on_cost):.1f}×"),
        ("total cost", money(m.total_cost_usd)),
        ("invoice share", f"{pct(m.invoice_share)}  {bar(float(m.invoice_share or 0), 20)}"),
        ("acceptance rate", f"{pct(m.acceptance_rate)}  {bar(float(m.acceptance_rate or 0), 20)}"),
        ("rework rate", f"{pct(m.rework_rate)}  {bar(float(m.rework_rate or 0), 20)}"),
        ("bounces per workflow", "—" if m.bounces_per_workflow is None else f"{float(m.bounces_per_workflow):.2f}"),
        ("defect escape rate", f"{pct(m.defect_escape_rate)}  {bar(float(m.defect_escape_rate or 0), 20)}"),
        ("cycle time median / p90", "—" if m.cycle_time_median_hours is None else f"{m.cycle_time_median_hours:.1f} h / {m.cycle_time_p90_hours:.1f} h"),
        ("review minutes", f"{m.review_minutes.normalize():f}"),
        ("context-prep share", pct(m.context_prep_share)),
    ):
        outcome.add_row(name, value)
    console.print(outcome)
    if report.trend:
        console.print(_trend_table(report))
    total = m.total_cost_usd
    lines = Table("line", "cost", "share", "", title="Where the money went")
    for line, cost in report.lines.items():
        share = float(cost / total) if total else 0.0
        lines.add_row(line.value, money(cost), pct(share), bar(share))
    console.print(lines)
    if report.clarity:
        clarity = Table("spec clarity", "workflows", "verified", "cost per verified outcome", "rework rate", title="By spec clarity")
        for b in report.clarity:
            clarity.add_row("unset" if b.clarity is None else f"{b.clarity}/5", str(b.workflows), str(b.verified_outcomes), money(b.cost_per_verified_outcome), pct(b.rework_rate))
        console.print(clarity)
    costly = Table("workflow", "state", "cost", "invoice", "bounces", "incidents", title="Costliest workflows")
    for row in report.workflows[:10]:
        costly.add_row(row.key, row.state.value, money(row.total_cost_usd), money(row.inference_cost_usd), str(row.bounces), str(row.incidents))
    console.print(costly)
    if report.policy_exceptions:
        console.print(f"[yellow]policy exceptions[/] (agent edits outside data boundaries): {report.policy_exceptions}")
    console.print(f"[dim]Generation (activity, not value): {g.tokens:,} tokens · {g.model_calls:,} model calls · "
                  f"{g.agent_sessions} agent sessions · {g.regions_written} regions / {g.lines_written} lines written[/]")


def report(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="From this date (inclusive, UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Until this date (exclusive, UTC).")] = None,
    week: Annotated[str | None, typer.Option(help="An ISO week, e.g. 2026-W49.")] = None,
    team: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    format: Annotated[str, typer.Option("--format", help="table | json | html")] = "table",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file.")] = None,
    json: Json = False,
) -> None:
    """The team report: outcome metrics, where the money went, clarity breakdown, costliest workflows."""
    data = team_report(ctx_of(ctx).store, make_period(since, until, week), team)
    _emit(data, "json" if json else format, output, render_report, report_json, "report")


def audit(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="Workflow key.")],
    format: Annotated[str, typer.Option("--format", help="table | md | json | html")] = "table",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file.")] = None,
) -> None:
    """The Ledger Audit: every cost of one workflow, walked back from verified outcome to first prompt."""
    data = build_audit(ctx_of(ctx).store, workflow)
    _emit(data, format, output, render_audit, lambda a: a.model_dump(), "audit")


def _emit(data, format: str, output: Path | None, table_renderer, json_builder, kind: str) -> None:
    if format == "json":
        payload = to_json(json_builder(data)) + b"\n"
    elif format == "md" and kind == "audit":
        payload = audit_markdown(data).encode()
    elif format == "html":
        from .. import html_reports  # the reports module (charts) loads only when asked for

        payload = (html_reports.audit_html(data) if kind == "audit" else html_reports.report_html(data)).encode()
    elif format == "table":
        if output:
            raise InvalidInput("--format table prints to the terminal; use md, json or html with -o")
        table_renderer(data)
        return
    else:
        raise InvalidInput(f"unknown --format {format!r} for {kind}")
    if output:
        try:
            output.write_bytes(payload)
        except OSError as exc:
            raise InvalidInput(f"cannot write -o {output}: {exc.strerror or exc}") from exc
        console.print(f"wrote {output}")
    else:
        import sys

        sys.stdout.buffer.write(payload)


def render_audit(audit) -> None:
    wf = audit.workflow
    console.print(f"[bold]Ledger Audit — {wf.key}[/] {wf.title or ''} · {wf.state.value}")
    share = float(audit.invoice_usd / audit.total_cost_usd) if audit.total_cost_usd else 0.0
    console.print(f"model invoice {money(audit.invoice_usd)} {bar(share, 20)} vs full cost {money(audit.total_cost_usd)} {bar(1.0 if audit.total_cost_usd else 0, 20)}")
    for section in audit.sections:
        when = f" · {section.at:%Y-%m-%d %H:%M} UTC" if section.at else ""
        table = Table("when (UTC)", "line", "kind", "who", "quantity", "cost", title=f"{section.title}{when} · {money(section.subtotal_usd)}", title_justify="left")
        for item in section.items[:50]:
            table.add_row(f"{item.ts:%Y-%m-%d %H:%M}", item.line.value, item.kind, item.actor or "", item.quantity, money(item.cost_usd))
        if len(section.items) > 50:
            table.add_row("…", f"{len(section.items) - 50} more", "", "", "", "")
        for note in section.notes:
            console.print(f"  {note}")
        if section.items:
            console.print(table)
        else:
            console.print(f"[bold]{section.title}{when}[/] · {money(section.subtotal_usd)}")
        if section.name == "sessions" and audit.sessions:
            sessions = Table("session", "model", "calls", "tokens", "cost", "retries", "rejected tool uses", title="Agent sessions", title_justify="left")
            for s in audit.sessions:
                sessions.add_row(s.session[:12], s.model or "", str(s.calls), f"{s.tokens:,}", money(s.cost_usd), str(s.retries), str(s.rejected_tool_uses))
            console.print(sessions)
    console.print(f"[bold]Total from prompt to verified outcome: {money(audit.total_cost_usd)}[/]")


def register(app: typer.Typer) -> None:
    app.command("show")(show)
    app.command("report")(report)
    app.command("audit")(audit)
