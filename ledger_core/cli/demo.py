"""``opledger demo``: build the demo ledger in a fresh store, then show the report and one audit."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..config import default_store_path
from ..demo import DEMO_AUDIT_WORKFLOW, build_demo
from ..errors import InvalidInput
from ..metrics import Period
from ..report import team_report
from ..store import EmbeddedStore
from .context import ctx_of
from .render import console
from .show import render_audit, render_report
from ..audit import build_audit


def demo(
    ctx: typer.Context,
    into: Annotated[Path | None, typer.Option("--into", help="Directory for the demo store (default: a 'demo' store beside your ledger; rebuilt each run).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Build only; print where the store is.")] = False,
) -> None:
    """Build a realistic ledger from bundled real agent transcripts plus a scripted lifecycle,
    then print the team report and the Ledger Audit of one workflow."""
    app = ctx_of(ctx)
    target = into or default_store_path().with_name("demo")
    if into is not None and into.exists() and any(into.iterdir()):
        raise InvalidInput(f"{into} is not empty; the demo builds a fresh store (choose a new directory)")
    if into is None and target.exists():
        if not (target / "meta.json").exists():
            raise InvalidInput(f"{target} exists and is not an opledger demo store; nothing was changed")
        shutil.rmtree(target)
    store = EmbeddedStore(target, lock_timeout=app.settings.lock_timeout)
    with tempfile.TemporaryDirectory(prefix="opledger-demo-") as work, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True, disable=quiet
    ) as bars:
        tasks: dict[str, int] = {}

        def progress(description: str, done: int, total: int) -> None:
            if description not in tasks:
                tasks[description] = bars.add_task(description, total=total)
            bars.update(tasks[description], completed=done, total=total)

        result = build_demo(store, app.settings, Path(work), progress=progress)
    if quiet:
        console.print(str(target))
        return
    summary = result.claude_summary
    console.print(f"[bold]Demo ledger[/] in {target}: imported {summary.entries_added} model calls from "
                  f"{summary.files} Claude Code transcript files, plus Codex sessions, and a scripted review lifecycle.\n")
    render_report(team_report(store, Period()))
    console.print()
    render_audit(build_audit(store, DEMO_AUDIT_WORKFLOW))
    console.print(f"\nExplore it: [bold]opledger --store {target} show {DEMO_AUDIT_WORKFLOW}[/], "
                  f"[bold]opledger --store {target} report --format html -o report.html[/]")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
