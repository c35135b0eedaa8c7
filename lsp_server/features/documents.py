"""Open, edited, saved and closed documents: regions are placed on open and follow every edit."""

from __future__ import annotations

from lsprotocol import types

from . import guarded


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded(server, "didOpen")
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        server.open_document(item.uri, item.text, item.version)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(server, "didChange")
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        doc = server.docs.get(params.text_document.uri)
        if doc is None:
            return
        moved = False
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                moved |= doc.apply_change((start.line, start.character), (end.line, end.character), change.text, params.text_document.version)
            else:
                moved |= doc.apply_change(None, None, change.text, params.text_document.version)
        if moved or doc.unanchored:
            server.schedule_publish(doc)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded(server, "didSave")
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        doc = server.docs.get(params.text_document.uri)
        if doc is not None:
            server.spawn(server.resync(doc, settle=True), f"re-reading regions of {doc.path}")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(server, "didClose")
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.close_document(params.text_document.uri)
