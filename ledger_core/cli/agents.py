"""Agent sessions: ``import claude-code|codex|git-ai|agent-trace|otel``, ``usage``, ``hook``, ``link``."""

from __future__ import annotations

import time

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InvalidInput
from .context import ctx_of
from .groups import import_app
from .render import console, err_console, money, print_json

usage_app = typer.Typer(help="Token and cost usage of agent sessions (ccusage-compatible JSON).", no_args_is_help=True)
hook_app = typer.Typer(help="Live capture from coding agents: `opledger hook claude-code` reads a hook payload on stdin.", no_args_is_help=True)

Paths = Annotated[list[Path] | None, typer.Argument(help="Transcript files or folders (default: the agent's own folders).")]
Workflow = Annotated[str | None, typer.Option(help="Put every session on this workflow (default: by link, config map or git branch).")]
Json = Annotated[bool, typer.Option("--json", help="JSON output.")]


def _progress_run(run, description: str, quiet: bool) -> Any:
    if quiet:
        return run(None)  # --json: no bar, and rich.progress is not even imported
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    # Refreshed by hand, not by rich's thread: a large import forks parsing processes, and a
    # fork while that thread holds the terminal's lock would leave the children stuck on it.
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console,
                  transient=True, disable=quiet, auto_refresh=False) as bars:
        task = bars.add_task(description, total=None)
        shown = [0.0]

        def progress(_what: str, done: int, total: int) -> None:
            due = done == total or time.monotonic() - shown[0] > 0.1
            bars.update(task, completed=done, total=total, refresh=due)
            if due:
                shown[0] = time.monotonic()

        return run(progress)


def _report(summary: Any, json: bool) -> None:
    if json:
        print_json(summary)
        return
    console.print(
        f"{summary.source}: {summary.files} files ({summary.files_unchanged} unchanged), {summary.lines} new lines, "
        f"{summary.entries_added} model calls added, {summary.rework_added} rework signals, "
        f"{summary.duplicates} already on the ledger, {summary.skipped_count} lines skipped"
    )
    if summary.workflows:
        console.print("workflows: " + ", ".join(summary.workflows))
    for file, line, reason in summary.skipped[:20]:
        err_console.print(f"skipped {file}:{line}: {reason}")
    if summary.skipped_count > 20:
        err_console.print(f"... and {summary.skipped_count - 20} more skipped lines (see --json)")


def _paths_or_default(paths: list[Path] | None, defaults: list[Path], what: str) -> list[Path]:
    if paths:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise InvalidInput(f"no such file or folder: {', '.join(missing)}")
        return paths
    if not defaults:
        raise InvalidInput(f"no {what} found; pass the files or folders to import")
    return defaults


@import_app.command("claude-code")
def import_claude_code(ctx: typer.Context, paths: Paths = None, workflow: Workflow = None, json: Json = False) -> None:
    """Import Claude Code transcripts (default: $CLAUDE_CONFIG_DIR, ~/.config/claude, ~/.claude)."""
    from ..importers import claude_code

    app = ctx_of(ctx)
    roots = _paths_or_default(paths, claude_code.default_paths(), "Claude Code config dir with projects/")
    summary = _progress_run(
        lambda progress: claude_code.import_paths(app.store, app.settings, roots, workflow=workflow, progress=progress),
        "Claude Code transcripts", json,
    )
    _report(summary, json)


@import_app.command("codex")
def import_codex(ctx: typer.Context, paths: Paths = None, workflow: Workflow = None, json: Json = False) -> None:
    """Import Codex CLI rollout files (default: $CODEX_HOME/sessions or ~/.codex/sessions)."""
    from ..importers import codex

    app = ctx_of(ctx)
    roots = _paths_or_default(paths, codex.default_paths(), "Codex sessions folder")
    summary = _progress_run(
        lambda progress: codex.import_paths(app.store, app.settings, roots, workflow=workflow, progress=progress),
        "Codex sessions", json,
    )
    _report(summary, json)


@import_app.command("git-ai")
def import_git_ai(
    ctx: typer.Context,
    repo: Annotated[Path, typer.Argument(help="Git repository with git-ai notes (refs/notes/ai).")] = Path("."),
    workflow: Workflow = None,
    json: Json = False,
) -> None:
    """Import git-ai authorship notes (refs/notes/ai) as agent regions."""
    from ..importers import git_ai

    app = ctx_of(ctx)
    _report(git_ai.import_repo(app.store, app.settings, repo, workflow=workflow), json)


@import_app.command("agent-trace")
def import_agent_trace(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Agent Trace JSON / JSONL files or folders.")],
    workflow: Workflow = None,
    json: Json = False,
) -> None:
    """Import Agent Trace records (which lines of which files an agent wrote) as regions."""
    from ..importers import agent_trace

    app = ctx_of(ctx)
    _report(agent_trace.import_paths(app.store, app.settings, _paths_or_default(paths, [], "trace files"), workflow=workflow), json)


@import_app.command("otel")
def import_otel(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="OTLP JSON files (traces export) or folders.")],
    workflow: Workflow = None,
    json: Json = False,
) -> None:
    """Import OpenTelemetry GenAI spans (gen_ai.usage.*, gen_ai.request.model) as model calls."""
    from ..importers import otel

    app = ctx_of(ctx)
    _report(otel.import_paths(app.store, app.settings, _paths_or_default(paths, [], "OTLP files"), workflow=workflow), json)


# --------------------------------------------------------------------------- usage
def _date(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            from datetime import datetime

            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(f"{what} must be a date YYYY-MM-DD or YYYYMMDD, got {text!r}")


def _usage(ctx: typer.Context, period: str, since: str | None, until: str | None, timezone: str | None, agent: str | None, json: bool) -> None:
    from ..usage import AGENT_SOURCES, usage_report

    if agent is not None and agent not in AGENT_SOURCES:
        raise InvalidInput(f"unknown agent {agent!r}; use one of: {', '.join(AGENT_SOURCES)}")
    report = usage_report(
        ctx_of(ctx).store, period,  # type: ignore[arg-type]
        since=_date(since, "--since"), until=_date(until, "--until"), timezone=timezone,
        sources=(agent,) if agent else AGENT_SOURCES,
    )
    if json:
        print_json(report)
        return
    from rich.table import Table

    rows = report["sessions" if period == "session" else period]
    label = {"daily": "date", "weekly": "week", "monthly": "month", "session": "sessionId"}[period]
    table = Table(label, "models", "input", "output", "cache write", "cache read", "total tokens", "cost")
    for row in rows:
        table.add_row(
            row[label], ", ".join(row["modelsUsed"]), f"{row['inputTokens']:,}", f"{row['outputTokens']:,}",
            f"{row['cacheCreationTokens']:,}", f"{row['cacheReadTokens']:,}", f"{row['totalTokens']:,}", money(row["totalCost"]),
        )
    totals = report["totals"]
    table.add_row("total", "", f"{totals['inputTokens']:,}", f"{totals['outputTokens']:,}", f"{totals['cacheCreationTokens']:,}",
                  f"{totals['cacheReadTokens']:,}", f"{totals['totalTokens']:,}", money(totals["totalCost"]))
    console.print(table)


Since = Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD or YYYYMMDD), inclusive.")]
Until = Annotated[str | None, typer.Option(help="Last day, inclusive.")]
Tz = Annotated[str | None, typer.Option("--timezone", "-z", help="IANA timezone for days (default UTC).")]
Agent = Annotated[str | None, typer.Option(help="Only this agent's calls: claude-code, codex or otel.")]


@usage_app.command("daily")
def usage_daily(ctx: typer.Context, since: Since = None, until: Until = None, timezone: Tz = None, agent: Agent = None, json: Json = False) -> None:
    """Usage by day (the shape of `ccusage claude daily --json`)."""
    _usage(ctx, "daily", since, until, timezone, agent, json)


@usage_app.command("weekly")
def usage_weekly(ctx: typer.Context, since: Since = None, until: Until = None, timezone: Tz = None, agent: Agent = None, json: Json = False) -> None:
    """Usage by week (weeks start on Sunday)."""
    _usage(ctx, "weekly", since, until, timezone, agent, json)


@usage_app.command("monthly")
def usage_monthly(ctx: typer.Context, since: Since = None, until: Until = None, timezone: Tz = None, agent: Agent = None, json: Json = False) -> None:
    """Usage by month."""
    _usage(ctx, "monthly", since, until, timezone, agent, json)


@usage_app.command("session")
def usage_session(ctx: typer.Context, since: Since = None, until: Until = None, timezone: Tz = None, agent: Agent = None, json: Json = False) -> None:
    """Usage by agent session, with the workflow each is attributed to."""
    _usage(ctx, "session", since, until, timezone, agent, json)


# --------------------------------------------------------------------------- hooks
Scope = Annotated[bool, typer.Option("--project/--user", help="This project's .claude/settings.json (default) or ~/.claude/settings.json.")]


def _check_agent(agent: str) -> None:
    if agent != "claude-code":
        raise InvalidInput(f"unknown agent {agent!r}; hooks exist for: claude-code")


@hook_app.command("install")
def hook_install(
    agent: Annotated[str, typer.Argument(help="Agent: claude-code.")],
    project: Scope = True,
    project_dir: Annotated[Path | None, typer.Option(help="Project folder (default: the current one).")] = None,
) -> None:
    """Add opledger's hooks to Claude Code's settings, keeping every other hook."""
    from ..hooks import install

    _check_agent(agent)
    path = install.settings_path("project" if project else "user", project_dir=project_dir)
    added = install.install(path)
    console.print(f"{path}: " + (f"added hooks for {', '.join(added)}" if added else "opledger hooks already installed"))


@hook_app.command("uninstall")
def hook_uninstall(
    agent: Annotated[str, typer.Argument(help="Agent: claude-code.")],
    project: Scope = True,
    project_dir: Annotated[Path | None, typer.Option(help="Project folder (default: the current one).")] = None,
) -> None:
    """Remove opledger's hooks (and only those) from Claude Code's settings."""
    from ..hooks import install

    _check_agent(agent)
    path = install.settings_path("project" if project else "user", project_dir=project_dir)
    removed = install.uninstall(path)
    console.print(f"{path}: " + (f"removed hooks from {', '.join(removed)}" if removed else "no opledger hooks found"))


@hook_app.command("claude-code", help="Read one Claude Code hook payload on stdin (run by Claude Code, not by hand).")
def hook_claude_code() -> None:
    from ..hooks import run_hook

    raise typer.Exit(run_hook(["claude-code"]))


# --------------------------------------------------------------------------- link
def link(
    ctx: typer.Context,
    session: Annotated[str, typer.Argument(help="Agent session id.")],
    workflow: Annotated[str, typer.Argument(help="Workflow key to attribute the session to.")],
    json: Json = False,
) -> None:
    """Attribute a session to a workflow (moved entries are recorded as corrections)."""
    from ..attribution import link_session

    moved = link_session(ctx_of(ctx).store, session, workflow)
    if json:
        print_json({"session": session, "workflow": workflow, "entries_moved": moved})
    else:
        console.print(f"session {session} → {workflow}: {moved} entries moved (as corrections)")


def register(app: typer.Typer) -> None:
    app.add_typer(usage_app, name="usage")
    app.add_typer(hook_app, name="hook")
    app.command("link")(link)
