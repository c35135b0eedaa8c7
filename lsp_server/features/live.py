"""Live refresh: regions the agent records while a file is open appear without reopening it.

The store is watched through ``Store.version()`` — a few ``stat`` calls for the embedded store,
one small request for the team service, on the store thread — never by re-reading regions;
they are re-read only when the version changes and a document is open.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types

from ledger_core.errors import LedgerError

from . import guarded


def register(server) -> None:
    state = {"task": None, "seen": None}

    async def watch() -> None:
        while True:
            await asyncio.sleep(server.options.poll_interval)
            if not server.docs:
                continue
            try:
                version = await server.in_store(lambda: server.store.version())
            except (LedgerError, OSError) as exc:
                server.store_failed(exc)
                continue
            if version == state["seen"]:
                continue
            state["seen"] = version
            try:
                await server.refresh_all()
            except Exception as exc:  # keep watching whatever one refresh hit
                server.log(f"live refresh failed: {exc!r}", types.MessageType.Error)

    def start() -> None:
        if state["task"] is None:
            state["task"] = asyncio.get_running_loop().create_task(watch())

    server.on_initialized.append(start)

    @server.feature(types.SHUTDOWN)
    @guarded(server, "shutdown")
    def shutdown(params: None) -> None:
        if state["task"] is not None:
            state["task"].cancel()
