"""``opledger config show|set``."""

from __future__ import annotations

from typing import Annotated

import typer

from ..config import default_config_path, set_config_value
from .context import ctx_of
from .render import print_json

config_app = typer.Typer(help="Show or change settings (rates, review cap, sensitive paths...).", no_args_is_help=True)


@config_app.command("show")
def show(ctx: typer.Context) -> None:
    """Print the effective settings (file, environment and options combined)."""
    app = ctx_of(ctx)
    data = app.settings.model_dump(exclude={"token", "github_webhook_secret"})
    data["config_file"] = str(app.config_path or default_config_path())
    print_json(data)


@config_app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Setting, dotted for tables: e.g. rates.senior, review_minutes_cap.")],
    value: Annotated[str, typer.Argument(help="TOML value, e.g. 140, true, '[\"a\", \"b\"]'.")],
) -> None:
    """Set one setting in the config file (validated first; an invalid value changes nothing)."""
    path = ctx_of(ctx).config_path or default_config_path()
    set_config_value(path, key, value)
    typer.echo(f"{key} set in {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
