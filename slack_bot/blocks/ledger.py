"""A workflow's ledger (``/ledger show WF``), its audit summary and the team report, as blocks."""

from __future__ import annotations

from ledger_core.audit import Audit
from ledger_core.ledger import WorkflowLedger
from ledger_core.models import Line, RegionState
from ledger_core.report import TeamReport

from .common import Block, context, divider, escape, fields, header, hours, limit_blocks, money, pct, section

SHOWN_REGIONS = 10


def _quantities(totals) -> str:
    parts = [money(totals.cost_usd)]
    if totals.tokens:
        parts.append(f"{totals.tokens:,} tokens")
    if totals.minutes:
        parts.append(f"{totals.minutes.normalize():f} min")
    if totals.count and not totals.tokens:
        parts.append(f"×{totals.count}")
    if totals.unpriced:
        parts.append("_unpriced model_")
    return " · ".join(parts)


def ledger_blocks(view: WorkflowLedger) -> list[Block]:
    wf, m = view.workflow, view.metrics
    title = f"{wf.key}" + (f" — {wf.title}" if wf.title else "")
    facts = [wf.state.value] + ([f"team {wf.team}"] if wf.team else []) + ([f"owner {wf.owner}"] if wf.owner else [])
    if wf.clarity is not None:
        facts.append(f"spec clarity {wf.clarity}/5")
    blocks = [header(title), context(escape(" · ".join(facts)))]
    blocks += fields([(line.value, _quantities(view.lines[line])) for line in Line])
    invoice = view.lines[Line.INFERENCE].cost_usd
    blocks.append(section(f"*Total {money(view.total_cost_usd)}* · the model invoice shows {money(invoice)}"
                          f" ({pct(m.invoice_share)} of the full cost)"))
    blocks += fields([
        ("acceptance", pct(m.acceptance_rate)),
        ("bounces", str(m.bounces_per_workflow.normalize() if m.bounces_per_workflow is not None else 0)),
        ("escaped defects", str(len(view.incidents))),
        ("review", f"{m.review_minutes.normalize():f} min"),
        ("context-prep share", pct(m.context_prep_share)),
        ("cycle time", hours(m.cycle_time_median_hours)),
    ])
    pending = [r for r in view.regions if r.state == RegionState.PENDING]
    if pending:
        rows = [f"• `{escape(r.path)}` lines {r.start_line}–{r.end_line} · {escape(r.agent)}" + (f" ({escape(r.model)})" if r.model else "")
                for r in pending[:SHOWN_REGIONS]]
        more = f"\n… and {len(pending) - SHOWN_REGIONS} more" if len(pending) > SHOWN_REGIONS else ""
        blocks += [divider(), section(f"*{len(pending)} pending region(s)* waiting for review\n" + "\n".join(rows) + more)]
    for incident in view.incidents[:5]:
        label = incident.title or incident.link or incident.id
        blocks.append(context(f":rotating_light: {escape(incident.severity or 'incident')} · {escape(label)} · {incident.remediation_hours} h"))
    return limit_blocks(blocks)


def ledger_text(view: WorkflowLedger) -> str:
    return f"{view.workflow.key}: {money(view.total_cost_usd)} total, {view.workflow.state.value}"


def audit_blocks(audit: Audit, full_copy: str) -> list[Block]:
    wf = audit.workflow
    share = pct(audit.invoice_usd / audit.total_cost_usd) if audit.total_cost_usd else "—"
    blocks = [
        header(f"Ledger Audit — {wf.key}"),
        section(f"*{wf.state.value}* · full cost *{money(audit.total_cost_usd)}* · model invoice {money(audit.invoice_usd)} ({share})"),
    ]
    rows = []
    for s in audit.sections:
        when = f" · {s.at:%Y-%m-%d %H:%M} UTC" if s.at else ""
        notes = f" — {escape('; '.join(s.notes))}" if s.notes else ""
        rows.append(f"*{s.title}*{when}: {money(s.subtotal_usd)} ({len(s.items)} entries){notes}")
    blocks.append(section("\n".join(rows)))
    if audit.sessions:
        retries = sum(s.retries for s in audit.sessions)
        rejected = sum(s.rejected_tool_uses for s in audit.sessions)
        blocks.append(context(f"{len(audit.sessions)} agent session(s) · {retries} retries · {rejected} rejected tool uses"))
    blocks.append(context(full_copy))
    return limit_blocks(blocks)


def report_blocks(report: TeamReport, shown: int = 5) -> list[Block]:
    m = report.metrics
    title = f"Team report · {report.period.label}" + (f" · {report.team}" if report.team else "")
    blocks = [header(title)]
    blocks += fields([
        ("verified outcomes", str(m.verified_outcomes)),
        ("cost per verified outcome", money(m.cost_per_verified_outcome)),
        ("total cost", money(m.total_cost_usd)),
        ("invoice share", pct(m.invoice_share)),
        ("acceptance", pct(m.acceptance_rate)),
        ("rework rate", pct(m.rework_rate)),
        ("defect escape rate", pct(m.defect_escape_rate)),
        ("cycle time median / p90", f"{hours(m.cycle_time_median_hours)} / {hours(m.cycle_time_p90_hours)}"),
    ])
    if report.workflows:
        rows = [f"• `{escape(r.key)}` {r.state.value} · {money(r.total_cost_usd)} (invoice {money(r.inference_cost_usd)})"
                for r in report.workflows[:shown]]
        blocks.append(section("*Costliest workflows*\n" + "\n".join(rows)))
    g = report.generation
    blocks.append(context(f"Activity, not value: {g.tokens:,} tokens · {g.agent_sessions} agent sessions · {g.regions_written} regions written"))
    return limit_blocks(blocks)
