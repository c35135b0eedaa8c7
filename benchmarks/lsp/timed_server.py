"""``opledger lsp`` exactly as installed, plus a stopwatch: the server's own handling times.

Runs the real entry point (``ledger_core.entry.main`` with ``lsp``) and hooks three places
without changing what the server does:

* pygls's message loop: from parsing a message's JSON to the end of its synchronous handling
  (``didChange`` is handled synchronously, so this is the whole of a keystroke's cost);
* the first ``publishDiagnostics`` after each ``didOpen``: from parsing the didOpen to the
  diagnostics written to stdout;
* each debounced republish after typing (``_publish_later``).

``bench/timings`` answers the collected durations (seconds) and clears them.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from typing import Any

import pygls.io_

import lsp_server.server

timings: dict[str, list[float]] = defaultdict(list)
_parsed_at = [0.0]
_opened: dict[str, float] = {}


class _TimedJson:
    """Stands in for the ``json`` module inside ``pygls.io_``: notes when parsing starts."""

    def __getattr__(self, name: str) -> Any:
        import json

        return getattr(json, name)

    def loads(self, *args: Any, **kwargs: Any) -> Any:
        import json

        _parsed_at[0] = time.perf_counter()
        return json.loads(*args, **kwargs)


def instrument(server: lsp_server.server.OpledgerServer) -> None:
    protocol = server.protocol
    handle = protocol.handle_message
    notify_json = protocol.notify_json
    original_publish_later = server._publish_later

    def handle_message(message: Any) -> None:
        method = getattr(message, "method", None)
        if method == "textDocument/didOpen":
            _opened[message.params.text_document.uri] = _parsed_at[0]
        handle(message)
        if method == "textDocument/didChange":
            timings["did_change"].append(time.perf_counter() - _parsed_at[0])

    def notify(method: str, params: dict[str, Any]) -> None:
        notify_json(method, params)
        if method == "textDocument/publishDiagnostics" and params["uri"] in _opened and params["diagnostics"]:
            timings["did_open_to_publish"].append(time.perf_counter() - _opened.pop(params["uri"]))

    def publish_later(uri: str) -> None:
        started = time.perf_counter()
        original_publish_later(uri)
        timings["republish"].append(time.perf_counter() - started)

    protocol.handle_message = handle_message
    protocol.notify_json = notify
    server._publish_later = publish_later

    @server.feature("bench/timings")
    def answer(params: Any) -> dict[str, list[float]]:
        result = dict(timings)
        timings.clear()
        return result


def main() -> None:
    build = lsp_server.server.build_server

    def build_timed(**kwargs: Any) -> lsp_server.server.OpledgerServer:
        server = build(**kwargs)
        instrument(server)
        return server

    pygls.io_.json = _TimedJson()  # type: ignore[assignment]
    lsp_server.server.build_server = build_timed
    from ledger_core.entry import main as opledger

    sys.argv = ["opledger", "lsp"]
    opledger()


if __name__ == "__main__":
    main()
