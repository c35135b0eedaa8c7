"""Command groups shared by several topic modules (e.g. every importer adds to ``import``)."""

from __future__ import annotations

import typer

import_app = typer.Typer(help="Import facts from agent transcripts, git, CI, pull requests and incident tools.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
