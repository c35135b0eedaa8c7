"""The console-script entry point.

Agent hooks run ``opledger hook ...`` on every tool call and must return in well under 100 ms,
so that path is dispatched before the full CLI (typer, rich, every command module) is imported.
"""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["hook"] and len(args) >= 2 and args[1] not in ("install", "uninstall", "--help"):
        from .hooks import run_hook  # fast path: no typer, no rich

        sys.exit(run_hook(args[1:]))
    from .cli import run

    run()
