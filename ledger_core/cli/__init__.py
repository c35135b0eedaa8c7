"""The ``opledger`` command: a thin typer app over the core's library functions.

Commands live in topic modules of this package, each with ``register(app)``; the language
server and the Slack bot add theirs through the ``opledger.cli`` entry-point group, so the
core never imports them. Library errors become one clean message and exit status 2 here.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from .. import entry as _entry
from ..errors import LedgerError
from .context import AppContext

app = typer.Typer(
    name="opledger",
    help="The AI Operating Ledger: what value survived review, and what did it really cost?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _global(
    ctx: typer.Context,
    store: Annotated[str | None, typer.Option("--store", envvar="OPLEDGER_STORE", help="Store directory or team service URL.")] = None,
    config: Annotated[Path | None, typer.Option("--config", envvar="OPLEDGER_CONFIG", help="Config file (TOML).")] = None,
) -> None:
    ctx.obj = AppContext(store_location=store, config_path=config)


def _register_all(only: str | None = None) -> None:
    """Every command; with ``only`` (an entry-point command, see ``entry.only_command``) just that one."""
    for module in pkgutil.iter_modules(__path__) if only is None else ():
        if module.name in ("context", "render") or (_entry.only_modules is not None and module.name not in _entry.only_modules):
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        if hasattr(loaded, "register"):
            loaded.register(app)
    for point in entry_points(group="opledger.cli") if _entry.only_modules is None else ():
        if only is not None and point.name != only:
            continue
        try:
            point.load()(app)
        except ImportError as exc:  # an optional part whose extra is not installed
            _missing_extras.append(f"{point.name}: {exc}")


_missing_extras: list[str] = []
_register_all(_entry.only_command)


def main(argv: list[str] | None = None) -> int:
    try:
        # Without standalone mode click *returns* the code of a `typer.Exit` instead of raising it.
        status = app(args=argv, prog_name="opledger", standalone_mode=False)
        if isinstance(status, int):
            return status
    except LedgerError as exc:
        typer.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except Exception as exc:
        # Usage errors come from the click that typer vendors; they know how to show themselves.
        if any(cls.__name__ == "ClickException" for cls in type(exc).__mro__):
            exc.show()  # type: ignore[attr-defined]
            return int(getattr(exc, "exit_code", 2))
        raise
    return 0


def run() -> None:
    sys.exit(main())
