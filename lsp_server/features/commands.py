"""``workspace/executeCommand``: accept, reject, rework, accept all, show the ledger.

Every command is listed in ``executeCommandProvider`` (Neovim sends a code action's command
only if it is). Malformed arguments answer InvalidParams; a refusal by the ledger (already
decided, store locked) answers ``{"ok": false, "error": ...}`` and tells the user.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ledger_core.decisions import Decision
from ledger_core.errors import InvalidInput, LedgerError

from ..arguments import command_args
from ..ledger_summary import one_line, summary
from ..reviewing import accept_all, decide_one
from . import guarded

ACCEPT, REJECT, REWORK = "opledger.accept", "opledger.reject", "opledger.rework"
ACCEPT_ALL, SHOW_LEDGER = "opledger.acceptAll", "opledger.showLedger"
COMMANDS = (ACCEPT, REJECT, REWORK, ACCEPT_ALL, SHOW_LEDGER)


def register(server) -> None:
    def parse(name: str, raw: tuple[Any, ...], need: str):
        try:
            return command_args(name, raw, need=need)
        except InvalidInput as exc:
            server.log(str(exc), types.MessageType.Warning)
            raise JsonRpcInvalidParams(message=str(exc)) from exc

    async def run(name: str, work) -> dict[str, Any]:
        try:
            result = await work()
        except LedgerError as exc:
            server.tell(str(exc), types.MessageType.Warning)
            return {"ok": False, "error": str(exc)}
        server.publish_all()
        return result

    def deciding(name: str, decision: Decision):
        @server.command(name)
        @guarded(server, name)
        async def command(*raw: Any) -> dict[str, Any]:
            args = parse(name, raw, "region")
            return await run(name, lambda: decide_one(server, args, decision))

    deciding(ACCEPT, Decision.ACCEPT)
    deciding(REJECT, Decision.REJECT)
    deciding(REWORK, Decision.REWORK)

    @server.command(ACCEPT_ALL)
    @guarded(server, ACCEPT_ALL)
    async def accept_everything(*raw: Any) -> dict[str, Any]:
        args = parse(ACCEPT_ALL, raw, "uri")
        return await run(ACCEPT_ALL, lambda: accept_all(server, args))

    @server.command(SHOW_LEDGER)
    @guarded(server, SHOW_LEDGER)
    async def show_ledger(*raw: Any) -> dict[str, Any]:
        args = parse(SHOW_LEDGER, raw, "ledger")

        async def work() -> dict[str, Any]:
            key = args.workflow or await server.workflow_of(args.uri)
            if key is None:
                raise InvalidInput(f"no agent regions in {args.uri}, so no workflow to show; pass {{'workflow'}}")
            data = await server.in_store(lambda: summary(server.store, key))
            server.tell(one_line(data))
            return {"ok": True} | data

        return await run(SHOW_LEDGER, work)
