"""The console-script entry point.

Agent hooks run ``opledger hook ...`` on every tool call and must return in well under 100 ms,
so that path is dispatched before the full CLI (typer, rich, every command module) is imported.
"""

from __future__ import annotations

import sys

# Set before ``.cli`` is imported: the one entry-point command (``lsp``) to load instead of every
# command module — a long-running editor server should not start up importing the whole CLI.
only_command: str | None = None
# Likewise, commands whose module is known load just that module of ``.cli`` (an import run by
# a hook or a cron job should not pay for importing every other command): "command [sub]" → modules.
COMMAND_MODULES = {
    "import claude-code": ("groups", "agents"),
    "import codex": ("groups", "agents"),
    "usage": ("agents",),
}
only_modules: tuple[str, ...] | None = None


def _command(args: list[str]) -> str | None:
    """The command named on the line, past the global options; None if an option comes first."""
    words = _words(args)
    return words[0] if words else None


def _words(args: list[str]) -> list[str]:
    """The arguments from the command on, past the global options; [] if an option comes first."""
    i = 0
    while i < len(args):
        if args[i] in ("--store", "--config"):
            i += 2
        elif args[i].startswith(("--store=", "--config=")):
            i += 1
        else:
            return [] if args[i].startswith("-") else args[i:]
    return []


def main() -> None:
    global only_command, only_modules
    args = sys.argv[1:]
    if args[:1] == ["hook"] and len(args) >= 2 and args[1] not in ("install", "uninstall", "--help"):
        from .hooks import run_hook  # fast path: no typer, no rich

        sys.exit(run_hook(args[1:]))
    if _command(args) == "lsp":
        only_command = "lsp"
    words = _words(args)
    only_modules = COMMAND_MODULES.get(" ".join(words[:2])) or COMMAND_MODULES.get(" ".join(words[:1]))
    from .cli import run

    run()
