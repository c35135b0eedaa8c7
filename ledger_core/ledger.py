"""The ledger's operations: what the CLI, language server and bot call.

Each function validates its input once, prices what it records, and talks to a ``Store``.
Nothing here knows about terminals, editors or Slack.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .config import Settings
from .errors import InvalidInput, UnknownWorkflow
from .metrics import (
    GenerationMetrics,
    LineTotals,
    OutcomeMetrics,
    Period,
    generation_metrics,
    line_totals,
    outcome_metrics,
)
from .models import (
    Entry,
    EntryDraft,
    Evidence,
    Incident,
    Line,
    Region,
    SpecClarity,
    SpecSignal,
    Tokens,
    Transition,
    Workflow,
    WorkflowState,
    reversal_of,
    utcnow,
)
from .pricing import price_minutes, price_tokens
from .redaction import kept_text
from .store import AppendResult, Store


def validation_message(exc: ValidationError, what: str) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or what
    return f"invalid {what}: {where}: {first['msg'].removeprefix('Value error, ')}"


def parse_decimal(text: str | int | float | Decimal, *, what: str, allow_negative: bool = False) -> Decimal:
    try:
        value = Decimal(str(text))
    except InvalidOperation as exc:
        raise InvalidInput(f"{what} must be a number, got {text!r}") from exc
    if not value.is_finite():
        raise InvalidInput(f"{what} must be a finite number, got {text!r}")
    if value < 0 and not allow_negative:
        raise InvalidInput(f"{what} must not be negative, got {text}")
    return value


def parse_line(text: str) -> Line:
    try:
        return Line(text)
    except ValueError as exc:
        names = ", ".join(line.value for line in Line)
        raise InvalidInput(f"unknown ledger line {text!r}; use one of: {names}") from exc


def parse_signals(text: str | Iterable[str]) -> frozenset[SpecSignal]:
    names = [p.strip() for p in (text.split(",") if isinstance(text, str) else text) if p.strip()]
    signals = set()
    for name in names:
        try:
            signals.add(SpecSignal(name))
        except ValueError as exc:
            valid = ", ".join(s.value for s in SpecSignal)
            raise InvalidInput(f"unknown spec signal {name!r}; use: {valid}") from exc
    return frozenset(signals)


# --------------------------------------------------------------------------- workflows
def start_workflow(
    store: Store,
    key: str,
    *,
    title: str | None = None,
    team: str | None = None,
    owner: str | None = None,
    value_usd: Decimal | None = None,
    signals: frozenset[SpecSignal] | None = None,
    at: datetime | None = None,
    repo: str | None = None,
    branch: str | None = None,
) -> Workflow:
    """Create the workflow (open), or update the given fields of an existing one."""
    moment = at or utcnow()
    existing = store.find_workflow(key)
    try:
        if existing is None:
            workflow = Workflow(
                key=key,
                title=title,
                team=team,
                owner=owner,
                value_usd=value_usd,
                created_at=moment,
                transitions=(Transition(state=WorkflowState.OPEN, at=moment, actor=owner),),
                spec=SpecClarity(signals=signals, set_at=moment) if signals is not None else None,
                repo=repo,
                branch=branch,
            )
            return store.put_workflow(workflow, create_only=True)
        changes: dict[str, Any] = {
            k: v
            for k, v in {"title": title, "team": team, "owner": owner, "value_usd": value_usd, "repo": repo, "branch": branch}.items()
            if v is not None
        }
        if signals is not None:
            changes["spec"] = SpecClarity(signals=signals, set_at=moment)
        if not changes:
            return existing
        updated = Workflow.model_validate(existing.model_dump() | changes)
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc, "workflow")) from exc
    return store.put_workflow(updated)


def ensure_workflow(store: Store, key: str, **fields: Any) -> Workflow:
    """The workflow, created open if it does not exist yet (for importers and hooks)."""
    found = store.find_workflow(key)
    return found if found is not None else start_workflow(store, key, **fields)


def set_spec(store: Store, key: str, signals: frozenset[SpecSignal], at: datetime | None = None) -> Workflow:
    workflow = store.get_workflow(key)
    return store.put_workflow(workflow.model_copy(update={"spec": SpecClarity(signals=signals, set_at=at or utcnow())}))


def transition(
    store: Store,
    key: str,
    to: WorkflowState,
    *,
    at: datetime | None = None,
    actor: str | None = None,
    evidence: Evidence | None = None,
) -> Workflow:
    return store.transition_workflow(key, to, at or utcnow(), actor=actor, evidence=evidence)


# --------------------------------------------------------------------------- entries
def human_cost(settings: Settings, minutes: Decimal, *, role: str | None, actor: str | None, line: Line) -> tuple[str, Decimal]:
    role_name, rate = settings.rate_for(role, actor)
    multiplier = settings.review_focus_multiplier if line == Line.REVIEW else Decimal(1)
    return role_name, price_minutes(minutes, rate, multiplier)


def record(
    store: Store,
    settings: Settings,
    line: Line,
    workflow: str,
    *,
    minutes: Decimal | None = None,
    tokens: Tokens | None = None,
    model: str | None = None,
    count: int | None = None,
    usd: Decimal | None = None,
    kind: str | None = None,
    actor: str | None = None,
    role: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
    source: str = "manual",
    source_ref: str | None = None,
    session: str | None = None,
    region: str | None = None,
    attrs: dict[str, Any] | None = None,
    require_workflow: bool = True,
) -> AppendResult:
    """Price and append one fact. Human minutes are priced by role; tokens by the price table;
    ``usd`` is taken as given (e.g. a vendor invoice, a tool licence)."""
    if require_workflow and store.find_workflow(workflow) is None:
        raise UnknownWorkflow(workflow)
    if minutes is None and tokens is None and count is None and usd is None:
        raise InvalidInput("say what to record: --minutes, --tokens, --count or --usd")
    cost = Decimal(0)
    unpriced = False
    price_version = None
    role_name = role
    if tokens is not None:
        if not model:
            raise InvalidInput("tokens need a --model to be priced")
        price = price_tokens(model, tokens, at)
        cost += price.cost_usd
        unpriced = price.unpriced
        price_version = price.price_version
    if minutes is not None:
        role_name, human = human_cost(settings, minutes, role=role, actor=actor, line=line)
        cost += human
    if usd is not None:
        cost += usd
    try:
        draft = EntryDraft(
            ts=at or utcnow(),
            workflow=workflow,
            line=line,
            kind=kind or _default_kind(line, minutes, tokens),
            tokens=tokens,
            minutes=minutes or Decimal(0),
            count=count if count is not None else (1 if tokens is not None else 0),
            cost_usd=cost,
            unpriced=unpriced,
            model=model,
            price_version=price_version,
            actor=actor,
            role=role_name,
            source=source,
            source_ref=source_ref,
            session=session,
            region=region,
            note=kept_text(note, settings),
            attrs=attrs or {},
        )
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc, "entry")) from exc
    return store.append([draft])


def _default_kind(line: Line, minutes: Decimal | None, tokens: Tokens | None) -> str:
    if line == Line.INFERENCE and tokens is not None:
        return "model_call"
    if line == Line.ESCAPED_DEFECTS:
        return "incident"
    return "time" if minutes is not None else "manual"


def correct(store: Store, entry_id: str, *, actor: str | None = None, note: str | None = None) -> AppendResult:
    """Reverse an entry (the ledger is append-only; a correction nets the original to zero)."""
    entry = store.get_entry(entry_id)
    if entry.reverses:
        raise InvalidInput(f"entry {entry_id} is itself a correction; record the fact again instead")
    return store.append([reversal_of(entry, actor=actor, note=note)])


# --------------------------------------------------------------------------- incidents
def record_incident(store: Store, settings: Settings, incident: Incident, *, role: str | None = None) -> Incident:
    """Store an escaped defect and put it on the ``escaped_defects`` line of each workflow.

    Remediation hours are priced by role and split evenly across the linked workflows, so the
    team total counts them once.
    """
    for key in incident.workflows:
        if store.find_workflow(key) is None:
            raise UnknownWorkflow(key)
    stored = store.put_incident(incident)
    share = stored.remediation_hours * 60 / len(stored.workflows)
    drafts = []
    for key in stored.workflows:
        role_name, cost = human_cost(settings, share, role=role, actor=None, line=Line.ESCAPED_DEFECTS)
        drafts.append(
            EntryDraft(
                ts=stored.opened_at,
                workflow=key,
                line=Line.ESCAPED_DEFECTS,
                kind="incident",
                minutes=share,
                count=1,
                cost_usd=cost,
                role=role_name,
                source=f"incident:{stored.source}",
                source_ref=f"{stored.id}:{key}",
                attrs={"incident": stored.id, "severity": stored.severity, "heuristic": stored.heuristic},
            )
        )
    store.append(drafts)
    return stored


# --------------------------------------------------------------------------- reading
class WorkflowLedger(BaseModel):
    """One workflow's ledger: what ``show WF`` prints."""

    model_config = ConfigDict(frozen=True)

    workflow: Workflow
    lines: dict[Line, LineTotals]
    total_cost_usd: Decimal
    metrics: OutcomeMetrics
    generation: GenerationMetrics
    regions: tuple[Region, ...]
    incidents: tuple[Incident, ...]
    entries: tuple[Entry, ...]


def workflow_ledger(store: Store, key: str) -> WorkflowLedger:
    workflow = store.get_workflow(key)
    entries = store.entries(workflow=key)
    regions = store.regions(workflow=key)
    lines = line_totals(entries)
    everything = Period()
    return WorkflowLedger(
        workflow=workflow,
        lines=lines,
        total_cost_usd=sum((t.cost_usd for t in lines.values()), Decimal(0)),
        metrics=outcome_metrics(entries, [workflow], regions, everything),
        generation=generation_metrics(entries, regions, everything),
        regions=tuple(regions),
        incidents=tuple(store.incidents(workflow=key)),
        entries=tuple(entries),
    )
