"""Code lenses above each pending region, for clients that show them (``codeLens: false`` turns them off)."""

from __future__ import annotations

from lsprotocol import types

from ..presentation import money_text, tokens_text
from . import guarded
from .commands import ACCEPT, REJECT, REWORK


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    @guarded(server, "codeLens")
    def code_lens(params: types.CodeLensParams) -> list[types.CodeLens] | None:
        doc = server.docs.get(params.text_document.uri)
        if doc is None or not server.options.code_lens:
            return None
        lenses = []
        for tracked in doc.pending():
            region = tracked.region
            at = types.Range(start=types.Position(line=tracked.start, character=0), end=types.Position(line=tracked.start, character=0))
            args = [{"uri": doc.uri, "region": region.id}]
            label = f"agent edit · {region.model or region.agent} · {tokens_text(region.tokens)} · {money_text(region.cost_usd)}"
            for title, command in ((label + " · Accept", ACCEPT), ("Reject", REJECT), ("Rework", REWORK)):
                lenses.append(types.CodeLens(range=at, command=types.Command(title=title, command=command, arguments=args)))
        return lenses
