"""The one Store interface every backend implements (embedded TinyDB, PostgreSQL, HTTP client).

Backends are interchangeable: the same contract test suite (``tests/store``) runs against
each. Everything here is about persistence; rules (lifecycle, pricing, metrics) live in the
core's other modules and are applied before or after a store call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from ..models import Entry, EntryDraft, Evidence, Incident, Region, Workflow, WorkflowState


class AppendResult(BaseModel):
    """What an append did: entries stored now, and drafts that were already on the ledger."""

    model_config = ConfigDict(frozen=True)

    stored: tuple[Entry, ...] = ()
    duplicates: tuple[str, ...] = ()  # ids of the entries already holding those keys


class ChainProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int | None
    entry_id: str | None
    kind: str  # edit | deletion | insertion | reorder | corrupt
    where: str
    detail: str


class VerifyReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    entries: int
    head: str
    problems: tuple[ChainProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@runtime_checkable
class Store(Protocol):
    """Persistence of the ledger. Every method is safe to call from several processes at once."""

    location: str

    # entries (append-only)
    def append(self, drafts: Sequence[EntryDraft]) -> AppendResult: ...

    def entries(
        self,
        *,
        workflow: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Entry]: ...

    def get_entry(self, entry_id: str) -> Entry: ...

    def verify(self) -> VerifyReport: ...

    # workflows
    def put_workflow(self, workflow: Workflow, *, create_only: bool = False) -> Workflow: ...

    def get_workflow(self, key: str) -> Workflow: ...

    def find_workflow(self, key: str) -> Workflow | None: ...

    def workflows(self, *, team: str | None = None) -> list[Workflow]: ...

    def transition_workflow(
        self,
        key: str,
        to: WorkflowState,
        at: datetime,
        *,
        actor: str | None = None,
        evidence: Evidence | None = None,
    ) -> Workflow: ...

    # regions
    def put_regions(self, regions: Sequence[Region]) -> None: ...

    def regions(
        self, *, path: str | None = None, workflow: str | None = None
    ) -> list[Region]: ...

    def get_region(self, region_id: str) -> Region: ...

    # incidents
    def put_incident(self, incident: Incident) -> Incident: ...

    def incidents(self, *, workflow: str | None = None) -> list[Incident]: ...

    # small keyed state: import cursors, digests sent, events seen
    def kv_get(self, namespace: str, key: str) -> Any | None: ...

    def kv_set(self, namespace: str, key: str, value: Any) -> None: ...

    def kv_claim(self, namespace: str, key: str, value: Any = True) -> bool:
        """Set ``key`` only if absent, atomically; True if this call set it."""
        ...

    def version(self) -> str:
        """A token that changes whenever anything in the store changes (cheap to compute)."""
        ...

    def close(self) -> None: ...
