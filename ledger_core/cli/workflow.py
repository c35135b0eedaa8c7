"""``opledger workflow ...``: the lifecycle of a unit of work."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from .. import ledger
from ..metrics import parse_moment
from ..models import Evidence, WorkflowState
from .context import ctx_of
from .render import console, money, print_json

workflow_app = typer.Typer(help="Start, move and list workflows (open → in_review → merged → verified, or abandoned).", no_args_is_help=True)

At = Annotated[str | None, typer.Option("--at", help="When it happened (ISO 8601; default now).")]
Actor = Annotated[str | None, typer.Option("--actor", help="Who did it.")]


@workflow_app.command("start")
def start(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Workflow key, e.g. a ticket id or branch.")],
    title: Annotated[str | None, typer.Option(help="Short title.")] = None,
    team: Annotated[str | None, typer.Option(help="Owning team.")] = None,
    owner: Annotated[str | None, typer.Option(help="Owner.")] = None,
    value: Annotated[str | None, typer.Option(help="Estimated value in USD.")] = None,
    has: Annotated[str | None, typer.Option(help="Spec-clarity signals present: spec,constraints,interfaces,criteria,verification.")] = None,
    at: At = None,
) -> None:
    """Open a workflow (or update its title, team, owner, value, spec signals)."""
    app = ctx_of(ctx)
    workflow = ledger.start_workflow(
        app.store,
        key,
        title=title,
        team=team or app.settings.team,
        owner=owner,
        value_usd=ledger.parse_decimal(value, what="--value") if value is not None else None,
        signals=ledger.parse_signals(has) if has is not None else None,
        at=parse_moment(at, what="--at") if at else None,
    )
    console.print(f"workflow [bold]{workflow.key}[/] is {workflow.state.value}")


@workflow_app.command("spec")
def spec(
    ctx: typer.Context,
    key: str,
    has: Annotated[str, typer.Option(help="Signals present, comma-separated: spec,constraints,interfaces,criteria,verification (empty for none).")],
    at: At = None,
) -> None:
    """Record the spec-clarity signals the request had when agent work began."""
    workflow = ledger.set_spec(ctx_of(ctx).store, key, ledger.parse_signals(has), parse_moment(at, what="--at") if at else None)
    console.print(f"workflow {workflow.key}: spec clarity {workflow.clarity}/5")


def _move(state: WorkflowState, doc: str):
    def command(
        ctx: typer.Context,
        key: str,
        at: At = None,
        actor: Actor = None,
        evidence: Annotated[str | None, typer.Option(help="Verification evidence: CI run URL or note.")] = None,
        evidence_kind: Annotated[str, typer.Option(help="ci | reviewer | gate | manual")] = "manual",
        tests: Annotated[str | None, typer.Option(help="Test names that verified it, comma-separated.")] = None,
    ) -> None:
        proof = None
        if state == WorkflowState.VERIFIED:
            if evidence_kind not in ("ci", "reviewer", "gate", "manual"):
                raise typer.BadParameter("use ci, reviewer, gate or manual", param_hint="--evidence-kind")
            proof = Evidence(
                kind=evidence_kind,  # type: ignore[arg-type]
                ref=evidence,
                reviewer=actor if evidence_kind in ("reviewer", "manual") else None,
                tests=tuple(t.strip() for t in (tests or "").split(",") if t.strip()),
            )
        workflow = ledger.transition(
            ctx_of(ctx).store, key, state, at=parse_moment(at, what="--at") if at else None, actor=actor, evidence=proof
        )
        console.print(f"workflow [bold]{workflow.key}[/] is {workflow.state.value}")

    command.__doc__ = doc
    return command


for _name, _state, _doc in (
    ("review", WorkflowState.IN_REVIEW, "Mark a workflow in review."),
    ("merge", WorkflowState.MERGED, "Mark a workflow merged."),
    ("verify", WorkflowState.VERIFIED, "Mark a workflow verified, with the evidence it was checked against."),
    ("abandon", WorkflowState.ABANDONED, "Abandon a workflow (its costs stay on the ledger)."),
):
    workflow_app.command(_name)(_move(_state, _doc))


@workflow_app.command("list")
def list_(
    ctx: typer.Context,
    team: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """List workflows with their state and cost."""
    store = ctx_of(ctx).store
    workflows = store.workflows(team=team)
    costs: dict[str, float] = {}
    for entry in store.entries():
        costs[entry.workflow] = costs.get(entry.workflow, 0) + float(entry.cost_usd)
    if json:
        print_json([w.model_dump() | {"total_cost_usd": costs.get(w.key, 0.0)} for w in workflows])
        return
    table = Table("workflow", "title", "team", "state", "clarity", "cost", title="Workflows")
    for w in workflows:
        table.add_row(w.key, w.title or "", w.team or "", w.state.value, "—" if w.clarity is None else f"{w.clarity}/5", money(costs.get(w.key, 0)))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(workflow_app, name="workflow")
