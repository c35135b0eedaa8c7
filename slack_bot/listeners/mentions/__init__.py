"""``@opledger show WF`` and friends: the same words as ``/ledger``, answered in the thread."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from ledger_core.errors import LedgerError

from ... import answers
from ...blocks.common import error_blocks, help_blocks, section
from ...commands import parse
from ...delivery import notify
from ...deps import deps_of


def _mention(event: dict, client: WebClient, context: BoltContext) -> None:
    channel, user = event["channel"], event.get("user", "")
    thread = event.get("thread_ts") or event["ts"]
    try:
        command = parse(event.get("text", ""))
        if command.verb == "help":
            blocks, text = help_blocks(), "opledger help"
        elif command.verb in ("prep", "incident"):
            blocks = [section(f"Forms need a slash command: `/ledger {command.verb} {command.workflow}` opens it for you.")]
            text = f"use /ledger {command.verb}"
        else:
            blocks, text = answers.answer(deps_of(context), command, client, user)
    except LedgerError as exc:
        # Mistakes are told to the person who made them, not to the thread.
        notify(client, user=user, channel=channel, blocks=error_blocks(str(exc)), text=str(exc), thread_ts=thread)
        return
    client.chat_postMessage(channel=channel, thread_ts=thread, blocks=blocks, text=text)


def register(app: App) -> None:
    app.event("app_mention")(_mention)
