"""The Ledger Audit: one workflow walked backward from verified outcome to first prompt.

Sections, in the order the audit reads them: verification → merge → review rounds and
bounces → agent sessions → context prep → incidents after merge → everything else on the
ledger (evaluation, governance, institutional memory not tied to verification). Every entry of
the workflow lands in exactly one section, so the audit's total is the workflow's ledger total.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from .formatting import money
from .ledger import workflow_ledger
from .metrics import OutcomeMetrics
from .models import Entry, Evidence, Incident, Line, Region, Workflow
from .store import Store


class AuditItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    ts: datetime
    line: Line
    kind: str
    actor: str | None
    quantity: str
    cost_usd: Decimal
    entry_id: str
    unpriced: bool = False
    region: str | None = None  # with minutes: lets the HTML audit show review time per region
    minutes: Decimal = Decimal(0)


class SessionSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    session: str
    model: str | None
    calls: int
    tokens: int
    cost_usd: Decimal
    retries: int
    rejected_tool_uses: int
    wasted_tokens: int
    first: datetime
    last: datetime


class AuditSection(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    at: datetime | None = None
    items: tuple[AuditItem, ...] = ()
    subtotal_usd: Decimal = Decimal(0)
    notes: tuple[str, ...] = ()


class Audit(BaseModel):
    model_config = ConfigDict(frozen=True)

    workflow: Workflow
    evidence: Evidence | None
    sections: tuple[AuditSection, ...]
    sessions: tuple[SessionSummary, ...]
    regions: tuple[Region, ...]
    incidents: tuple[Incident, ...]
    total_cost_usd: Decimal
    invoice_usd: Decimal
    metrics: OutcomeMetrics


def _quantity(entry: Entry) -> str:
    parts = []
    if entry.tokens is not None:
        parts.append(f"{entry.tokens.total:,} tokens")
    if entry.minutes:
        parts.append(f"{entry.minutes.normalize():f} min")
    if entry.count and entry.tokens is None:
        parts.append(f"×{entry.count}")
    return ", ".join(parts) or "—"


def _item(entry: Entry) -> AuditItem:
    return AuditItem(
        ts=entry.ts, line=entry.line, kind=entry.kind, actor=entry.actor, quantity=_quantity(entry),
        cost_usd=entry.cost_usd, entry_id=entry.id, unpriced=entry.unpriced, region=entry.region, minutes=entry.minutes,
    )


def _section(name: str, title: str, entries: list[Entry], at: datetime | None = None, notes: tuple[str, ...] = ()) -> AuditSection:
    entries = sorted(entries, key=lambda e: e.ts, reverse=True)
    return AuditSection(
        name=name, title=title, at=at, items=tuple(_item(e) for e in entries),
        subtotal_usd=sum((e.cost_usd for e in entries), Decimal(0)), notes=notes,
    )


SESSION_REWORK = {"retry", "api_error", "rejected_tool_use", "tool_error", "user_modified", "interrupted"}


def _sessions(entries: list[Entry]) -> list[SessionSummary]:
    by_session: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.session and (entry.line == Line.INFERENCE or entry.kind in SESSION_REWORK):
            by_session[entry.session].append(entry)
    summaries = []
    for session, items in by_session.items():
        calls = [e for e in items if e.line == Line.INFERENCE]
        rework = [e for e in items if e.line == Line.REWORK]
        models = sorted({e.model for e in calls if e.model})
        summaries.append(
            SessionSummary(
                session=session,
                model=", ".join(models) or None,
                calls=sum(e.count for e in calls),
                tokens=sum(e.tokens.total for e in calls if e.tokens),
                cost_usd=sum((e.cost_usd for e in calls), Decimal(0)),
                retries=sum(e.count for e in rework if e.kind in ("retry", "api_error")),
                rejected_tool_uses=sum(e.count for e in rework if e.kind == "rejected_tool_use"),
                wasted_tokens=sum(int(e.attrs.get("tokens_wasted", 0) or 0) for e in rework),
                first=min(e.ts for e in items),
                last=max(e.ts for e in items),
            )
        )
    return sorted(summaries, key=lambda s: s.first, reverse=True)


def build_audit(store: Store, key: str) -> Audit:
    ledger = workflow_ledger(store, key)
    workflow = ledger.workflow
    remaining = list(ledger.entries)

    def take(predicate) -> list[Entry]:
        nonlocal remaining
        chosen = [e for e in remaining if predicate(e)]
        remaining = [e for e in remaining if not predicate(e)]
        return chosen

    merged_at = workflow.merged_at
    evidence = workflow.evidence
    sections = [
        _section(
            "verification", "Verification", take(lambda e: e.line == Line.EVALUATION), workflow.verified_at,
            notes=tuple(
                n for n in (
                    f"verified by {evidence.kind}" + (f" ({evidence.ref})" if evidence.ref else "") if evidence else "not verified yet",
                    f"reviewer: {evidence.reviewer}" if evidence and evidence.reviewer else "",
                    f"tests: {', '.join(evidence.tests)}" if evidence and evidence.tests else "",
                ) if n
            ),
        ),
        _section("merge", "Merge", [], merged_at, notes=() if merged_at else ("not merged",)),
        _section("review", "Review rounds and bounces", take(lambda e: e.line == Line.REVIEW or (e.line == Line.REWORK and e.kind not in SESSION_REWORK))),
        _section("sessions", "Agent sessions", take(lambda e: e.line == Line.INFERENCE or (e.line == Line.REWORK and e.kind in SESSION_REWORK))),
        _section("context_prep", "Context preparation", take(lambda e: e.line == Line.CONTEXT_PREP)),
        _section("incidents", "Incidents after merge", take(lambda e: e.line == Line.ESCAPED_DEFECTS)),
        _section("other", "Governance, institutional memory and other costs", take(lambda e: True)),
    ]
    return Audit(
        workflow=workflow,
        evidence=evidence,
        sections=tuple(sections),
        sessions=tuple(_sessions(list(ledger.entries))),
        regions=ledger.regions,
        incidents=ledger.incidents,
        total_cost_usd=ledger.total_cost_usd,
        invoice_usd=ledger.lines[Line.INFERENCE].cost_usd,
        metrics=ledger.metrics,
    )




def audit_markdown(audit: Audit) -> str:
    wf = audit.workflow
    out = [f"# Ledger Audit — {wf.key}" + (f": {wf.title}" if wf.title else ""), ""]
    out.append(f"State **{wf.state.value}** · total **{money(audit.total_cost_usd)}** · model invoice {money(audit.invoice_usd)}"
               + (f" ({audit.invoice_usd / audit.total_cost_usd:.0%} of the full cost)" if audit.total_cost_usd else ""))
    out.append("")
    for section in audit.sections:
        when = f" — {section.at:%Y-%m-%d %H:%M} UTC" if section.at else ""
        out.append(f"## {section.title}{when} · {money(section.subtotal_usd)}")
        out.extend(f"- {note}" for note in section.notes)
        if section.name == "sessions" and audit.sessions:
            out += ["", "| session | model | calls | tokens | cost | retries | rejected tool uses |", "|---|---|---:|---:|---:|---:|---:|"]
            out += [f"| `{s.session[:12]}` | {s.model or '—'} | {s.calls} | {s.tokens:,} | {money(s.cost_usd)} | {s.retries} | {s.rejected_tool_uses} |" for s in audit.sessions]
        if section.items:
            out += ["", "| when (UTC) | line | kind | who | quantity | cost |", "|---|---|---|---|---|---:|"]
            out += [
                f"| {i.ts:%Y-%m-%d %H:%M} | {i.line.value} | {i.kind} | {i.actor or '—'} | {i.quantity} | {money(i.cost_usd)}{' (unpriced)' if i.unpriced else ''} |"
                for i in section.items
            ]
        out.append("")
    if audit.regions:
        out += ["## Agent-written regions", "", "| file | lines | agent | state | review by |", "|---|---|---|---|---|"]
        out += [f"| {r.path} | {r.start_line}–{r.end_line} | {r.agent} | {r.state.value} | {r.decided_by or '—'} |" for r in audit.regions]
        out.append("")
    out.append(f"**Total from prompt to verified outcome: {money(audit.total_cost_usd)}**")
    return "\n".join(out) + "\n"
