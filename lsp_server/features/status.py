"""``opledger/status`` for editors' status lines: ``{"uri"}`` → ``{"pending", "pendingInFile", "workflow"}``.

``pending`` counts the pending regions of the file's workflow (all workflows' pending regions
in open files when the file has none), so a status line can say "3 agent edits to review".
"""

from __future__ import annotations

from typing import Any

from ledger_core.models import RegionState

from ..options import _plain
from . import guarded

STATUS = "opledger/status"


def register(server) -> None:
    @server.feature(STATUS)
    @guarded(server, STATUS)
    async def status(params: Any) -> dict[str, Any]:
        raw = _plain(params)
        uri = raw.get("uri") if isinstance(raw, dict) else None
        if isinstance(uri, str):
            await server.ready(uri)
        doc = server.docs.get(uri) if isinstance(uri, str) else None
        in_file = len(doc.pending()) if doc is not None else 0
        workflow = await server.workflow_of(uri) if isinstance(uri, str) else None
        everything = await server.regions_by_path()
        if workflow is not None:
            pending = sum(1 for regions in everything.values() for r in regions if r.workflow == workflow and r.state == RegionState.PENDING)
        else:
            pending = sum(len(d.pending()) for d in server.docs.values())
        return {"pending": pending, "pendingInFile": in_file, "workflow": workflow}
