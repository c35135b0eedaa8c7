"""Pull diagnostics (``textDocument/diagnostic``) for clients configured with ``diagnosticMode: pull``.

Push (``textDocument/publishDiagnostics``) is the default and lives on the server, because
some editors (eglot) never pull. The pull provider is only advertised when asked for, so an
editor that does both never shows every region twice.
"""

from __future__ import annotations

from lsprotocol import types

from . import guarded


def register(server) -> None:
    async def pull(params: types.DocumentDiagnosticParams) -> types.FullDocumentDiagnosticReport:
        await server.ready(params.text_document.uri)
        doc = server.docs.get(params.text_document.uri)
        items = server.diagnostics(doc) if doc is not None else []
        if doc is not None:
            server.mark_shown(doc)
        return types.FullDocumentDiagnosticReport(items=items)

    # Registered at initialize (pygls computes capabilities after the user's initialize handler).
    server.enable_pull_diagnostics = lambda: server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="opledger", inter_file_dependencies=False, workspace_diagnostics=False),
    )(guarded(server, "diagnostic")(pull))
