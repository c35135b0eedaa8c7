"""``opledger record`` and ``opledger correct``: facts typed by hand."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import ledger
from ..metrics import parse_moment
from ..models import Tokens
from .context import ctx_of
from .render import console, money, print_json


def record(
    ctx: typer.Context,
    line: Annotated[str, typer.Argument(help="Ledger line: inference, context_prep, review, rework, escaped_defects, evaluation, governance, institutional_memory.")],
    workflow: Annotated[str, typer.Argument(help="Workflow key.")],
    minutes: Annotated[str | None, typer.Option(help="Human minutes (priced by role).")] = None,
    tokens: Annotated[int | None, typer.Option(help="Input tokens of a model call (with --model).", min=0)] = None,
    output_tokens: Annotated[int, typer.Option(help="Output tokens (with --tokens).", min=0)] = 0,
    model: Annotated[str | None, typer.Option(help="Model name, priced from the offline price table.")] = None,
    count: Annotated[int | None, typer.Option(help="A count (bounces, incidents, test runs...).", min=0)] = None,
    usd: Annotated[str | None, typer.Option(help="A cost in USD taken as given.")] = None,
    kind: Annotated[str | None, typer.Option(help="Kind within the line, e.g. bounce, incident, docs.")] = None,
    actor: Annotated[str | None, typer.Option(help="Who.")] = None,
    role: Annotated[str | None, typer.Option(help="Role/seniority for the rate (see `opledger config show`).")] = None,
    note: Annotated[str | None, typer.Option(help="A note (kept only if the team stores text).")] = None,
    at: Annotated[str | None, typer.Option(help="When (ISO 8601; default now).")] = None,
    ref: Annotated[str | None, typer.Option(help="Idempotency reference: recording the same ref twice records it once.")] = None,
    json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Record one fact on a ledger line of a workflow."""
    app = ctx_of(ctx)
    result = ledger.record(
        app.store,
        app.settings,
        ledger.parse_line(line),
        workflow,
        minutes=ledger.parse_decimal(minutes, what="--minutes") if minutes is not None else None,
        tokens=Tokens(input=tokens, output=output_tokens) if tokens is not None else None,
        model=model,
        count=count,
        usd=ledger.parse_decimal(usd, what="--usd") if usd is not None else None,
        kind=kind,
        actor=actor,
        role=role,
        note=note,
        at=parse_moment(at, what="--at") if at else None,
        source="cli" if ref else "manual",
        source_ref=ref,
    )
    if json:
        print_json({"stored": list(result.stored), "duplicates": list(result.duplicates)})
    elif result.stored:
        entry = result.stored[0]
        flag = " (unpriced model)" if entry.unpriced else ""
        console.print(f"recorded {entry.id} on {entry.line.value} of {entry.workflow}: {money(entry.cost_usd)}{flag}")
    else:
        console.print(f"already recorded as {result.duplicates[0]}; nothing added")


def correct(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(help="Id of the entry to reverse.")],
    actor: Annotated[str | None, typer.Option(help="Who corrects it.")] = None,
    note: Annotated[str | None, typer.Option(help="Why (kept only if the team stores text).")] = None,
) -> None:
    """Reverse an entry with a correcting entry (entries are never edited or deleted)."""
    result = ledger.correct(ctx_of(ctx).store, entry_id, actor=actor, note=note)
    if result.stored:
        console.print(f"reversed {entry_id} with {result.stored[0].id}")
    else:
        console.print(f"{entry_id} was already reversed by {result.duplicates[0]}")


def register(app: typer.Typer) -> None:
    app.command("record")(record)
    app.command("correct")(correct)
