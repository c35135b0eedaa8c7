"""``opledger lsp``: the language server on stdio (``--tcp HOST:PORT`` for debugging)."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger_core.errors import InvalidInput


def lsp(
    ctx: typer.Context,
    tcp: Annotated[str | None, typer.Option("--tcp", metavar="HOST:PORT", help="Listen on TCP instead of stdio (debugging).")] = None,
) -> None:
    """Run the opledger language server: agent-written regions, their cost, and accept / reject / rework in any LSP editor."""
    from ledger_core.cli.context import ctx_of

    from .server import build_server  # pygls loads only when the server runs

    root = ctx_of(ctx)
    server = build_server(store=root.store_location, config=str(root.config_path) if root.config_path else None)
    if tcp is None:
        server.start_io()
        return
    host, _, port = tcp.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInput(f"--tcp wants HOST:PORT (e.g. 127.0.0.1:2087), got {tcp!r}")
    server.start_tcp(host, int(port))


def register(app: typer.Typer) -> None:
    app.command("lsp")(lsp)
