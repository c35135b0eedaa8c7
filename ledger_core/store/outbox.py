"""The offline outbox: writes meant for the team service, kept locally until it answers again.

The outbox is an ``EmbeddedStore`` in the user's state directory, one per service URL. Every
entry in it carries an idempotency key (the HTTP store gives key-less entries one before
the first attempt), so a replay that is interrupted, or repeated by two processes, or that
races a request the service did commit before timing out, never records anything twice.
Replays hold a file lock; the outbox is removed only after everything in it was accepted.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import platformdirs
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict

from ..errors import StoreLocked
from ..models import EntryDraft, Incident, Region, Workflow
from .base import AppendResult
from .embedded import EmbeddedStore, write_atomic

REPLACE = "outbox.replace"  # workflows put with create_only=False while offline
BATCH = 1000


class SyncResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    entries: int = 0
    stored: int = 0
    duplicates: int = 0
    workflows: int = 0
    regions: int = 0
    incidents: int = 0


def outbox_root() -> Path:
    return Path(os.environ.get("OPLEDGER_OUTBOX_DIR") or Path(platformdirs.user_state_dir("opledger", appauthor=False)) / "outbox")


class Outbox:
    def __init__(self, target: str, folder: Path | str | None = None, lock_timeout: float = 120.0) -> None:
        self.target = target
        self.root = (Path(folder) if folder else outbox_root()) / hashlib.sha256(target.encode()).hexdigest()[:16]
        self._lock = FileLock(f"{self.root}.lock", timeout=lock_timeout)

    def pending(self) -> bool:
        return self.root.exists()

    def _store(self) -> EmbeddedStore:
        self.root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return EmbeddedStore(self.root)

    def _locked(self) -> FileLock:
        try:
            self.root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            return self._lock.acquire()
        except Timeout as exc:
            raise StoreLocked(f"outbox {self.root} is busy (a sync is running)") from exc

    # ------------------------------------------------------------------ buffering
    def add_entries(self, drafts: Sequence[EntryDraft]) -> AppendResult:
        with self._locked():
            return self._store().append(drafts)

    def put_workflow(self, workflow: Workflow, *, create_only: bool) -> Workflow:
        with self._locked():
            store = self._store()
            if not create_only:
                store.kv_set(REPLACE, workflow.key, True)
            return store.put_workflow(workflow, create_only=create_only)

    def put_regions(self, regions: Sequence[Region]) -> None:
        with self._locked():
            self._store().put_regions(regions)

    def put_incident(self, incident: Incident) -> Incident:
        with self._locked():
            return self._store().put_incident(incident)

    def find_workflow(self, key: str) -> Workflow | None:
        if not self.pending():
            return None
        with self._locked():
            return self._store().find_workflow(key) if self.pending() else None

    # ------------------------------------------------------------------ known workflows
    # Workflows seen online, so an offline `record` on an existing workflow can still be
    # buffered. Only their existence matters offline; a stale state is harmless.
    def _known_path(self, key: str) -> Path:
        return Path(f"{self.root}.known") / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def remember(self, workflow: Workflow) -> None:
        path = self._known_path(workflow.key)
        if path.exists():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(path, workflow.model_dump_json().encode())
        except OSError:
            pass  # a cache: failing to fill it only matters if the service goes away later

    def recall(self, key: str) -> Workflow | None:
        try:
            return Workflow.model_validate_json(self._known_path(key).read_bytes())
        except (OSError, ValueError):
            return None

    def count(self) -> int:
        if not self.pending():
            return 0
        with self._locked():
            return len(self._store().entries()) if self.pending() else 0

    # ------------------------------------------------------------------ replay
    def replay(
        self,
        *,
        put_workflow: Callable[..., Workflow],
        put_incident: Callable[[Incident], Incident],
        put_regions: Callable[[Sequence[Region]], None],
        append: Callable[[Sequence[EntryDraft]], AppendResult],
    ) -> SyncResult:
        """Send everything, oldest kind of fact first (workflows before what refers to them),
        then remove the outbox. Any failure leaves it in place for the next attempt."""
        if not self.pending():
            return SyncResult()
        with self._locked():
            if not self.pending():
                return SyncResult()
            store = self._store()
            workflows = store.workflows()
            for workflow in workflows:
                put_workflow(workflow, create_only=not store.kv_get(REPLACE, workflow.key))
            incidents = store.incidents()
            for incident in incidents:
                put_incident(incident)
            regions = store.regions()
            if regions:
                put_regions(regions)
            entries = store.entries()
            stored = duplicates = 0
            for start in range(0, len(entries), BATCH):
                drafts = [
                    EntryDraft.model_construct(**{k: getattr(e, k) for k in EntryDraft.model_fields})
                    for e in entries[start : start + BATCH]
                ]
                result = append(drafts)
                stored += len(result.stored)
                duplicates += len(result.duplicates)
            store.close()
            shutil.rmtree(self.root)
        return SyncResult(entries=len(entries), stored=stored, duplicates=duplicates, workflows=len(workflows),
                          regions=len(regions), incidents=len(incidents))
