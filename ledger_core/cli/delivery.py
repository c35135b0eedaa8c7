"""``opledger import git|github|junit|coverage|incident`` and ``opledger webhooks serve``:
delivery signals (merges, pull requests, CI results, incidents) onto the ledger."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from .. import ledger
from ..importers.delivery import ImportReport
from ..metrics import parse_moment
from .context import ctx_of
from .groups import import_app
from .render import console, print_json

Since = Annotated[str | None, typer.Option("--since", help="Only what happened (or was updated) from this date, ISO 8601.")]
Json = Annotated[bool, typer.Option("--json", help="JSON output.")]
Workflow = Annotated[str, typer.Option("--workflow", "-w", help="Workflow key the results belong to.")]
Commit = Annotated[str | None, typer.Option("--commit", help="Commit SHA the CI run tested.")]
At = Annotated[str | None, typer.Option("--at", help="When the run happened (ISO 8601; default: the report's own timestamp, else now).")]


def _moment(text: str | None, what: str):
    return parse_moment(text, what=what) if text else None


def _show(report: ImportReport, json: bool) -> None:
    if json:
        print_json(report.model_dump())
        return
    console.print(f"{report.source}: {report.stored} entries added, {report.duplicates} already on the ledger, "
                  f"{len(report.transitions)} transitions, {len(report.workflows)} workflows")
    for line in report.transitions:
        console.print(f"  {line}", markup=False)
    for skip in report.skipped:
        console.print(f"  skipped {skip.what}: {skip.why}", markup=False)


@import_app.command("git")
def import_git(
    ctx: typer.Context,
    repo: Annotated[Path, typer.Argument(help="Local repository (default: the current directory).")] = Path("."),
    since: Since = None,
    json: Json = False,
) -> None:
    """Merges → merged workflows; agent co-author trailers and git-ai notes → attribution; docs and sensitive paths."""
    from ..importers.git import import_repo

    app = ctx_of(ctx)
    _show(import_repo(app.store, app.settings, repo, since=_moment(since, "--since")), json)


@import_app.command("github")
def import_github(
    ctx: typer.Context,
    repo: Annotated[str, typer.Argument(help="OWNER/NAME.")],
    since: Since = None,
    api_url: Annotated[str, typer.Option("--api-url", envvar="OPLEDGER_GITHUB_API", help="REST API root (GitHub Enterprise: https://HOST/api/v3).")] = "https://api.github.com",
    json: Json = False,
) -> None:
    """Pull requests → in_review/merged/abandoned, review entries, bounces, and the verification gate.

    The token is read from GITHUB_TOKEN (or GH_TOKEN)."""
    from ..importers.github import GitHubClient
    from ..importers.github import import_github as run

    app = ctx_of(ctx)
    client = GitHubClient(app.store, api=api_url, token=os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN"))
    try:
        report = run(app.store, app.settings, repo, since=_moment(since, "--since"), client=client)
    finally:
        client.close()
    _show(report, json)
    if not json:
        console.print(f"  {client.requests} API requests, {client.cache_hits} answered from the ETag cache")


@import_app.command("junit")
def import_junit(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="JUnit XML reports.")],
    workflow: Workflow,
    commit: Commit = None,
    at: At = None,
    json: Json = False,
) -> None:
    """Test counts, failures and durations → evaluation entries (CI minutes priced at ci_usd_per_minute)."""
    from ..importers.junit import import_files

    app = ctx_of(ctx)
    _show(import_files(app.store, app.settings, files, workflow, commit=commit, at=_moment(at, "--at")), json)


@import_app.command("coverage")
def import_coverage(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Cobertura XML report (e.g. `coverage xml`).")],
    workflow: Workflow,
    commit: Commit = None,
    at: At = None,
    json: Json = False,
) -> None:
    """Line and branch coverage → an evaluation entry."""
    from ..importers.coverage import import_file

    app = ctx_of(ctx)
    _show(import_file(app.store, app.settings, file, workflow, commit=commit, at=_moment(at, "--at")), json)


@import_app.command("incident")
def import_incident(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="PagerDuty, Opsgenie or generic incident JSON (object, array or JSON Lines).")],
    workflow: Annotated[list[str] | None, typer.Option("--workflow", "-w", help="Link to this workflow (repeatable); skips the matching.")] = None,
    remediation_hours: Annotated[str | None, typer.Option("--remediation-hours", help="Hours spent fixing it (priced by role).")] = None,
    json: Json = False,
) -> None:
    """Incidents → escaped_defects entries, linked by workflow, commit SHA, PR URL, else service (heuristic)."""
    from ..importers.incidents import import_file

    app = ctx_of(ctx)
    hours = ledger.parse_decimal(remediation_hours, what="--remediation-hours") if remediation_hours is not None else None
    _show(import_file(app.store, app.settings, file, workflows=tuple(workflow or ()), remediation_hours=hours), json)


webhooks_app = typer.Typer(help="Receive GitHub webhooks (pull_request, pull_request_review, check_suite).", no_args_is_help=True)


@webhooks_app.command("serve")
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=0, max=65535)] = 8787,
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Serve POST /github/webhook; the secret is OPLEDGER_GITHUB_WEBHOOK_SECRET (or github_webhook_secret in the config)."""
    import uvicorn

    from ..webhooks import create_webhook_app

    app = ctx_of(ctx)
    uvicorn.run(create_webhook_app(app.settings, app.store), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
