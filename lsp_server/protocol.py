"""pygls's language-server protocol, minus two costs this server does not need.

* pygls keeps its own copy of every open document in ``server.workspace`` and rebuilds the
  whole text on each incremental change (a Python loop over every line: milliseconds per
  keystroke in a 10,000-line file). This server never reads that copy; it keeps its own lines,
  updated by slice (``tracking.py``). So document notifications go straight to the features.
* ``publishDiagnostics`` with a thousand regions is built as plain JSON objects and sent as
  such, skipping the lsprotocol objects and their cattrs unstructuring.

And one behaviour it must have: pygls 2.1 logs a request whose params do not fit the protocol's
types to stderr and never answers it, so the editor waits forever. Such a request is answered
here with InvalidParams, and the client's log says what was wrong.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import orjson
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method


class OpledgerProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcInvalidParams:
            method = data.get("method", "?")
            self.notify(
                types.WINDOW_LOG_MESSAGE,
                types.LogMessageParams(type=types.MessageType.Warning, message=f"opledger: ignored {method} with malformed params"),
            )
            if "id" in data and "method" in data:
                error = JsonRpcInvalidParams(f"invalid params for {method}")
                self._send_response(data["id"], error=types.ResponseError(code=error.code, message=error.message))
            raise  # pygls's reader logs it and goes on with the next message

    def _to_feature(self, method: str, params: Any):
        handler = self.fm.features.get(method)
        if handler is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        yield from self._to_feature(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        yield from self._to_feature(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        yield from self._to_feature(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def notify_json(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification whose params are already plain JSON values (serialised by orjson,
        framed as pygls frames its own messages)."""
        if self.writer is None:
            return
        body = orjson.dumps({"jsonrpc": self.VERSION, "method": method, "params": params})
        if self._include_headers:
            header = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
            body = header.encode("ascii") + body
        result = self.writer.write(body)
        if inspect.isawaitable(result):
            asyncio.ensure_future(result)
