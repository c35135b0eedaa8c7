"""Deciding on regions from the editor: locate the region, record the decision through
``ledger_core.decisions.decide`` (the one review-time rule), restore text on Reject."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from ledger_core.decisions import Decision, ReworkReason, decide
from ledger_core.errors import InvalidInput, LedgerError
from ledger_core.models import Region, RegionState
from ledger_core.undo_cache import load_original

from .arguments import CommandArgs
from .tracking import DocumentState, Tracked


async def locate(server, args: CommandArgs) -> tuple[DocumentState | None, Tracked | None, Region]:
    """The region the arguments name: by id, or the pending region at a position."""
    await server.ready(args.uri)  # a document opened just now: its regions are being read
    doc = server.docs.get(args.uri) if args.uri else None
    if args.region:
        if doc is not None and args.region in doc.tracked:
            tracked = doc.tracked[args.region]
            return doc, tracked, tracked.region
        found = server.find(args.region)
        if found is not None:
            return found[0], found[1], found[1].region
        return None, None, await server.in_store(lambda: server.store.get_region(args.region))
    if doc is None:
        raise InvalidInput(f"{args.uri} is not an open document with agent regions")
    assert args.position is not None
    here = doc.at_line(args.position.line)
    if not here:
        raise InvalidInput(f"no pending agent edit at line {args.position.line + 1} of {doc.path}")
    tracked = min(here, key=lambda t: t.end - t.start)  # the innermost one, if regions nest
    return doc, tracked, tracked.region


def restore_edit(server, doc: DocumentState, tracked: Tracked, original: str) -> types.WorkspaceEdit:
    start = types.Position(line=tracked.start, character=0)
    if tracked.end + 1 < len(doc.lines):
        end = types.Position(line=tracked.end + 1, character=0)
    else:
        end = types.Position(line=tracked.end, character=doc.line_length(tracked.end))
        original = original.rstrip("\r\n") if not doc.lines[tracked.end].endswith(("\n", "\r")) else original
    edit = types.TextEdit(range=types.Range(start=start, end=end), new_text=original)
    caps = server.client_capabilities.workspace if server.client_capabilities else None
    if caps and caps.workspace_edit and caps.workspace_edit.document_changes:
        # Versioned: an editor whose buffer moved on since refuses the edit instead of garbling it.
        ident = types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=ident, edits=[edit])])
    return types.WorkspaceEdit(changes={doc.uri: [edit]})


async def decide_one(server, args: CommandArgs, decision: Decision) -> dict[str, Any]:
    doc, tracked, region = await locate(server, args)
    if region.state != RegionState.PENDING:
        raise InvalidInput(f"region {region.id} is already {region.state.value}")
    modified = doc.current_modified(tracked) if doc is not None and tracked is not None else 0
    restored = None
    if decision == Decision.REJECT:
        original = load_original(region.id)
        if original is None or doc is None or tracked is None or not tracked.visible:
            restored = False
        else:
            result = await server.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=restore_edit(server, doc, tracked, original), label="opledger: reject agent edit")
            )
            if not result.applied:
                raise InvalidInput(f"not rejected: the editor did not restore the original text ({result.failure_reason or 'declined'})")
            restored = True
    return await record(server, region, decision, args.reason if decision == Decision.REWORK else None, modified, restored)


async def record(server, region: Region, decision: Decision, reason: ReworkReason | None, modified: int, restored: bool | None) -> dict[str, Any]:
    settings, actor, role = server.settings, server.reviewer, server.options.role
    decided = await server.in_store(
        lambda: decide(
            server.store,
            settings,
            region.id,
            decision,
            actor=actor,
            role=role,
            reason=reason,
            modified_lines=modified if decision == Decision.ACCEPT else 0,
        )
    )
    found = server.find(region.id)
    if found is not None:
        found[1].region = decided
    result: dict[str, Any] = {
        "ok": True,
        "region": decided.id,
        "workflow": decided.workflow,
        "state": decided.state.value,
        "modifiedLines": modified,
    }
    if reason is not None:
        result["reason"] = reason.value
    if restored is not None:
        result["restored"] = restored
    return result


async def accept_all(server, args: CommandArgs) -> dict[str, Any]:
    doc = server.docs.get(args.uri)
    if doc is None:
        raise InvalidInput(f"{args.uri} is not an open document with agent regions")
    decided, skipped = [], []
    for tracked in doc.pending():
        try:
            result = await record(server, tracked.region, Decision.ACCEPT, None, doc.current_modified(tracked), None)
            decided.append(result["region"])
        except LedgerError as exc:  # decided elsewhere meanwhile: the rest still go through
            skipped.append({"region": tracked.region.id, "error": str(exc)})
    return {"ok": not skipped, "count": len(decided), "accepted": decided, "skipped": skipped}
