"""Live capture from coding agents: ``opledger hook <agent>`` reads one hook payload on stdin.

This path runs on every agent tool call, so it is kept light: nothing here imports pydantic,
typer or rich. The payload is read and checked, then the work (store writes, which need the
ledger's models) happens in a detached child process, so the agent is never blocked; set
``OPLEDGER_HOOK_SYNC=1`` to do it in-process instead. A hook never fails the agent: errors go
to the hook log (see ``log.py``) and the exit status is always 0. No code or prompt text is
written to the log or the ledger (unless the team opted in to storing text).
"""

from __future__ import annotations

import json
import os
import sys

AGENTS = ("claude-code",)


def run_hook(args: list[str]) -> int:
    """Entry point of ``opledger hook AGENT``; returns the exit status (always 0)."""
    from . import log

    agent = args[0] if args else ""
    try:
        if agent not in AGENTS:
            log.write(f"unknown agent {agent!r}; known: {', '.join(AGENTS)}")
            return 0
        raw = sys.stdin.buffer.read()
        payload = json.loads(raw or b"{}")
        if not isinstance(payload, dict):
            log.write("payload is not a JSON object; ignored")
            return 0
        from .claude_code import wanted

        if not wanted(payload):
            return 0
        _dispatch(agent, payload)
    except Exception as exc:  # a hook must never break the agent
        log.write(f"{agent}: {type(exc).__name__} while reading the payload")
    return 0


def _dispatch(agent: str, payload: dict) -> None:
    if os.environ.get("OPLEDGER_HOOK_SYNC") == "1" or not hasattr(os, "fork"):
        _work(agent, payload)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() != 0:
        # The agent gets its answer now; the child records the facts. The parent has nothing
        # left to clean up, and interpreter shutdown is a measurable share of the agent's wait.
        os._exit(0)
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # let the agent's pipes close
            os.dup2(devnull, fd)
        # Bookkeeping in the background must not slow the agent (or its next hook) on a busy machine.
        os.nice(10)
        _work(agent, payload)
    finally:
        os._exit(0)


def _work(agent: str, payload: dict) -> None:
    from . import log

    try:
        from .claude_code import handle

        handle(payload)
    except Exception as exc:
        from ..errors import LedgerError

        detail = str(exc) if isinstance(exc, LedgerError) else type(exc).__name__
        log.write(f"{agent} {payload.get('hook_event_name')}: {detail}")
