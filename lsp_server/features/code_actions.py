"""Code actions on a pending region: accept, reject (restore original), rework with a reason, accept all."""

from __future__ import annotations

from lsprotocol import types

from ledger_core.decisions import ReworkReason
from ledger_core.undo_cache import load_original

from ..presentation import rework_title
from . import guarded
from .commands import ACCEPT, ACCEPT_ALL, REJECT, REWORK

KIND = types.CodeActionKind.QuickFix


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[KIND]))
    @guarded(server, "codeAction")
    def code_actions(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        doc = server.docs.get(params.text_document.uri)
        if doc is None:
            return None
        here = doc.overlapping(params.range.start.line, params.range.end.line)
        if not here:
            return None
        uri = doc.uri
        ours = [d for d in params.context.diagnostics if d.source == "opledger" and isinstance(d.data, dict)]
        actions: list[types.CodeAction] = []
        for tracked in here:
            rid = tracked.region.id
            attached = [d for d in ours if d.data.get("region") == rid] or None

            def action(title: str, command: str, extra: dict | None = None, preferred: bool = False) -> types.CodeAction:
                args = {"uri": uri, "region": rid} | (extra or {})
                return types.CodeAction(
                    title=title,
                    kind=KIND,
                    diagnostics=attached,
                    is_preferred=preferred or None,
                    command=types.Command(title=title, command=command, arguments=[args]),
                )

            original = load_original(rid) is not None
            actions.append(action("Accept agent edit", ACCEPT, preferred=True))
            actions.append(action("Reject agent edit (restore original)" if original else "Reject agent edit (original not cached)", REJECT))
            actions += [action(rework_title(reason), REWORK, {"reason": reason.value}) for reason in ReworkReason]
        count = doc.pending_count()
        actions.append(
            types.CodeAction(
                title=f"Accept all agent edits in file ({count})",
                kind=KIND,
                command=types.Command(title="Accept all agent edits in file", command=ACCEPT_ALL, arguments=[{"uri": uri}]),
            )
        )
        return actions
