"""Settings from the client: ``initializationOptions`` first, then ``workspace/configuration``
(section ``opledger``) where the client offers it, and again on ``didChangeConfiguration``.

``diagnosticMode`` is read from ``initializationOptions`` only: it decides which capabilities
the server announces, and those are fixed once ``initialize`` has been answered.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from ..options import _plain
from . import guarded


def register(server) -> None:
    @server.feature(types.INITIALIZE)
    @guarded(server, "initialize")
    def initialize(params: types.InitializeParams) -> None:
        server.init_options = _plain(params.initialization_options)
        server.configure(server.init_options)
        if server.options.diagnostic_mode == "pull":
            server.enable_pull_diagnostics()

    async def fetch() -> None:
        workspace = server.client_capabilities.workspace if server.client_capabilities else None
        if not (workspace and workspace.configuration):
            return
        try:
            answer = await server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="opledger")])
            )
        except Exception as exc:  # the client may refuse: its initializationOptions stand
            server.log(f"workspace/configuration failed: {exc!r}", types.MessageType.Log)
            return
        await apply(answer[0] if answer else None)

    async def apply(found: Any) -> None:
        found = _plain(found)
        base = server.init_options if isinstance(server.init_options, dict) else {}
        if isinstance(found, dict) and found:
            merged = base | {k: v for k, v in found.items() if v is not None and k != "diagnosticMode"}
            before = server.options
            server.configure(merged)
            if server.options != before:
                await server.refresh_all()

    @server.feature(types.INITIALIZED)
    @guarded(server, "initialized")
    async def initialized(params: types.InitializedParams) -> None:
        for hook in server.on_initialized:
            hook()
        await fetch()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded(server, "didChangeConfiguration")
    async def changed(params: types.DidChangeConfigurationParams) -> None:
        settings = _plain(params.settings)
        if isinstance(settings, dict) and isinstance(settings.get("opledger"), dict):
            await apply(settings["opledger"])
        else:
            await fetch()
