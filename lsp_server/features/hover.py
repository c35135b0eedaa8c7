"""Hover: the full provenance of the agent-written region under the cursor."""

from __future__ import annotations

from lsprotocol import types

from ledger_core.undo_cache import load_original

from ..presentation import hover_markdown
from . import guarded


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(server, "hover")
    def hover(params: types.HoverParams) -> types.Hover | None:
        doc = server.docs.get(params.text_document.uri)
        if doc is None:
            return None
        found = doc.at_line(params.position.line, pending_only=False)
        if not found:
            return None
        tracked = min(found, key=lambda t: t.end - t.start)
        text = hover_markdown(
            tracked.region,
            modified=doc.current_modified(tracked),
            store_text=server.settings.store_text,
            original_known=load_original(tracked.region.id) is not None,
        )
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
            range=types.Range(
                start=types.Position(line=tracked.start, character=0),
                end=types.Position(line=tracked.end, character=doc.line_length(tracked.end)),
            ),
        )
