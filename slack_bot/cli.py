"""``opledger slack serve|socket`` and ``opledger digest``: each a few lines over the library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from pydantic import ValidationError

from ledger_core.cli.context import ctx_of
from ledger_core.cli.render import console, print_json
from ledger_core.digest import weekly_digest
from ledger_core.errors import ConfigError
from ledger_core.metrics import Period, week_period

from .settings import ALL_TEAMS, SlackSettings

slack_app = typer.Typer(help="Run the Slack bot (HTTP or Socket Mode).", no_args_is_help=True)


def load_slack_settings() -> SlackSettings:
    try:
        return SlackSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "SLACK_" + "_".join(str(p) for p in first["loc"]).upper()
        raise ConfigError(f"{where}: {first['msg']}") from exc


def _scheduled_sender(ctx: typer.Context, client_for, settings: SlackSettings):
    from .digest_delivery import deliver

    def send(period: Period) -> None:
        store = ctx_of(ctx).store
        teams = settings.digest_teams or [t for t in settings.managers if t != ALL_TEAMS] or [None]
        for team in teams:
            digest, _ = weekly_digest(store, period, team)
            deliver(client_for, store, settings, digest)

    return send


@slack_app.command("serve")
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Serve Slack's HTTP requests on POST /slack/events (uvicorn), checking every signature.

    With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, workspaces install through /slack/install."""
    from .app import create_app
    from .server import serve as run_server

    settings = load_slack_settings()
    app = create_app(settings, ctx_of(ctx).store, ctx_of(ctx).settings)
    _start_schedule(ctx, app, settings)
    run_server(app, host=host, port=port, threads=max(settings.workers, 40))


@slack_app.command("socket")
def socket(ctx: typer.Context) -> None:
    """Connect over Socket Mode (SLACK_APP_TOKEN): no public URL needed."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from .app import create_app

    settings = load_slack_settings()
    if settings.app_token is None:
        raise ConfigError("SLACK_APP_TOKEN is not set (an app-level token with connections:write)")
    app = create_app(settings, ctx_of(ctx).store, ctx_of(ctx).settings, socket_mode=True)
    _start_schedule(ctx, app, settings)
    SocketModeHandler(app, settings.app_token.get_secret_value(), web_client=app.client).start()


def _start_schedule(ctx: typer.Context, app, settings: SlackSettings) -> None:
    if settings.schedule is None:
        return
    from .oauth import workspace_clients
    from .schedule import DigestScheduler

    DigestScheduler(settings.schedule, _scheduled_sender(ctx, workspace_clients(settings), settings), lambda: datetime.now(UTC)).start()


def _last_week() -> Period:
    year, week, _ = (datetime.now(UTC) - timedelta(days=7)).isocalendar()
    return week_period(f"{year}-W{week:02d}")


def digest(
    ctx: typer.Context,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W49 (default: last week).")] = None,
    team: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    post: Annotated[bool, typer.Option("--post", help="Send it: a DM to each configured manager (SLACK_MANAGERS).")] = False,
    channel: Annotated[str | None, typer.Option(help="Also post to this channel id (with --post).")] = None,
    json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """The weekly digest: cost per verified outcome and its change, invoice vs full cost, rates, costliest workflows, advice."""
    from .blocks.digest import digest_text

    app = ctx_of(ctx)
    period = week_period(week) if week else _last_week()
    result, _ = weekly_digest(app.store, period, team or app.settings.team)
    delivery = None
    if post:
        from .digest_delivery import deliver
        from .oauth import workspace_clients

        settings = load_slack_settings()
        delivery = deliver(workspace_clients(settings), app.store, settings, result, channel=channel)
    elif channel:
        raise typer.BadParameter("--channel needs --post", param_hint="--channel")
    if json:
        print_json({"digest": result, "delivery": delivery})
    else:
        typer.echo(digest_text(result))
        if delivery is not None:
            console.print(f"sent to {', '.join(delivery.sent) or 'nobody'}"
                          + (f"; already sent to {', '.join(delivery.already_sent)}" if delivery.already_sent else "")
                          + ("; chart attached" if delivery.chart else ""), markup=False, highlight=False)
            for recipient, error in delivery.failed:
                console.print(f"failed: {recipient}: {error}", markup=False)
    if delivery is not None and delivery.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(slack_app, name="slack")
    app.command("digest")(digest)
