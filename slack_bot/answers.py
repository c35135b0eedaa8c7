"""What the bot answers to ``show``, ``audit`` and ``report``: reads the ledger, returns blocks.

Shared by the slash command and mentions; they differ only in where the answer goes.
"""

from __future__ import annotations

import threading
from typing import Any

from slack_sdk import WebClient

from ledger_core.audit import audit_markdown, build_audit
from ledger_core.ledger import workflow_ledger
from ledger_core.metrics import current_week, week_period
from ledger_core.report import team_report

from .blocks.ledger import audit_blocks, ledger_blocks, ledger_text, report_blocks
from .commands import Command
from .delivery import dm_channel, upload
from .deps import Deps

Answer = tuple[list[dict[str, Any]], str]


_shown: dict[tuple[str, str], Answer] = {}
_shown_lock = threading.Lock()
# Many people asking for the same ledger at once (a link pasted in a busy channel) must not
# each re-read the store: answers are reused until the store's version token changes.
SHOWN_CACHE = 256


def show(deps: Deps, command: Command) -> Answer:
    key = (command.workflow or "", deps.store.version())
    with _shown_lock:
        cached = _shown.get(key)
    if cached is not None:
        return cached
    view = workflow_ledger(deps.store, key[0])
    answer = ledger_blocks(view), ledger_text(view)
    with _shown_lock:
        if len(_shown) >= SHOWN_CACHE:
            _shown.clear()
        _shown[key] = answer
    return answer


def report(deps: Deps, command: Command) -> Answer:
    period = week_period(command.week) if command.week else current_week()
    data = team_report(deps.store, period, command.team or deps.ledger.team)
    return report_blocks(data), f"Team report {period.label}: {data.metrics.verified_outcomes} verified outcome(s)"


def audit(deps: Deps, command: Command, client: WebClient, user: str) -> Answer:
    """The summary as the answer; the full Markdown audit as a file in the asker's DM."""
    data = build_audit(deps.store, command.workflow or "")
    upload(client, channel=dm_channel(client, user), content=audit_markdown(data), filename=f"ledger-audit-{data.workflow.key}.md",
           title=f"Ledger Audit — {data.workflow.key}", comment=f"The full Ledger Audit of {data.workflow.key}.")
    note = f"The full audit is in your DM as `ledger-audit-{data.workflow.key}.md` (also: `opledger audit {data.workflow.key} --format md`)."
    return audit_blocks(data, note), f"Ledger Audit of {data.workflow.key}"


def answer(deps: Deps, command: Command, client: WebClient, user: str) -> Answer:
    if command.verb == "show":
        return show(deps, command)
    if command.verb == "report":
        return report(deps, command)
    if command.verb == "audit":
        return audit(deps, command, client, user)
    raise ValueError(f"{command.verb} is not answered with a message")
