"""``/ledger ...``: acknowledged at once (help and bad syntax in the ack), the work after the ack."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from ledger_core.errors import InvalidInput, LedgerError, UnknownWorkflow
from ledger_core.ledger import parse_signals

from ... import answers
from ...blocks.common import error_blocks, help_blocks
from ...blocks.context_prep import prep_modal
from ...blocks.incident import incident_modal
from ...commands import Command, parse
from ...deps import deps_of


def _ack(ack: Ack, command: dict) -> None:
    try:
        parsed = parse(command.get("text", ""))
    except InvalidInput as exc:
        ack(response_type="ephemeral", text=str(exc), blocks=error_blocks(str(exc)))
        return
    if parsed.verb == "help":
        ack(response_type="ephemeral", text="opledger: /ledger help", blocks=help_blocks())
        return
    ack()


def _run(command: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
    try:
        parsed = parse(command.get("text", ""))
    except InvalidInput:
        return  # answered in the ack
    if parsed.verb == "help":
        return
    deps = deps_of(context)
    try:
        if parsed.verb in ("prep", "incident"):
            _open_modal(parsed, command, client, context)
            return
        blocks, text = answers.answer(deps, parsed, client, command["user_id"])
    except LedgerError as exc:
        respond(response_type="ephemeral", replace_original=False, text=str(exc), blocks=error_blocks(str(exc)))
        return
    respond(response_type="in_channel" if parsed.share else "ephemeral", replace_original=False, text=text, blocks=blocks)


def _open_modal(parsed: Command, command: dict, client: WebClient, context: BoltContext) -> None:
    deps = deps_of(context)
    workflow = deps.store.find_workflow(parsed.workflow or "")
    if workflow is None:
        raise UnknownWorkflow(parsed.workflow or "")
    metadata = {"channel": command.get("channel_id"), "user": command["user_id"]}
    if parsed.verb == "prep":
        signals = workflow.spec.signals if workflow.spec else parse_signals("")
        view = prep_modal(workflow.key, sorted(deps.ledger.rates), signals, metadata)
    else:
        view = incident_modal(metadata, workflows=workflow.key, link=parsed.link)
    client.views_open(trigger_id=command["trigger_id"], view=view)


def register(app: App) -> None:
    app.command("/ledger")(ack=_ack, lazy=[_run])

