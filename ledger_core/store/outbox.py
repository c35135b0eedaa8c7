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
from datetime import datetime
from pathlib import Path

import platformdirs
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict

from ..errors import InvalidTransition, StoreLocked, UnknownWorkflow
from ..lifecycle import apply_transition
from ..models import EntryDraft, Evidence, Incident, Region, Workflow, WorkflowState
from .base import AppendResult
from .embedded import EmbeddedStore, write_atomic

REPLACE = "outbox.replace"  # workflows put with create_only=False while offline
TRANSITIONS = ("outbox.transitions", "pending")  # in the order they were made
PREDICTED = "outbox.predicted"  # workflow key → its state after the buffered transitions
BATCH = 1000


class SyncResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    entries: int = 0
    stored: int = 0
    duplicates: int = 0
    workflows: int = 0
    regions: int = 0
    incidents: int = 0
    transitions: int = 0
    refused: tuple[str, ...] = ()  # buffered transitions the service refused (the workflow had moved on)


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

    def add_transition(
        self, key: str, to: WorkflowState, at: datetime, *, actor: str | None, evidence: Evidence | None
    ) -> Workflow | None:
        """Buffer a transition and return the workflow as it will be; None when the workflow is
        not known here (never seen online, nor buffered), so its state cannot be checked.
        An invalid move is refused now, as the service would refuse it."""
        with self._locked():
            base = self._buffered_workflow(key) or self.recall(key)
            if base is None:
                return None
            moved = apply_transition(base, to, at, actor=actor, evidence=evidence)
            if moved is not base:
                store = self._store()
                pending = store.kv_get(*TRANSITIONS) or []
                pending.append({"key": key, "to": to.value, "at": at.isoformat(), "actor": actor,
                                "evidence": evidence.model_dump(mode="json") if evidence else None})
                store.kv_set(*TRANSITIONS, pending)
                store.kv_set(PREDICTED, key, moved.model_dump(mode="json"))
            return moved

    def find_workflow(self, key: str) -> Workflow | None:
        if not self.pending():
            return None
        with self._locked():
            return self._buffered_workflow(key)

    def _buffered_workflow(self, key: str) -> Workflow | None:
        """The workflow as the outbox will leave it: after its buffered moves, else as put offline."""
        if not self.pending():
            return None
        store = self._store()
        predicted = store.kv_get(PREDICTED, key)
        return Workflow.model_validate(predicted) if predicted else store.find_workflow(key)

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
            if not self.pending():
                return 0
            store = self._store()
            return len(store.entries()) + len(store.kv_get(*TRANSITIONS) or [])

    # ------------------------------------------------------------------ replay
    def replay(
        self,
        *,
        put_workflow: Callable[..., Workflow],
        put_incident: Callable[[Incident], Incident],
        put_regions: Callable[[Sequence[Region]], None],
        append: Callable[[Sequence[EntryDraft]], AppendResult],
        transition: Callable[..., Workflow],
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
            # Transitions last, in the order they were made; one the service refuses (the
            # workflow moved on meanwhile) is reported, not retried forever.
            pending = store.kv_get(*TRANSITIONS) or []
            refused = []
            for n, move in enumerate(pending):
                try:
                    transition(move["key"], WorkflowState(move["to"]), datetime.fromisoformat(move["at"]), actor=move["actor"],
                               evidence=Evidence.model_validate(move["evidence"]) if move["evidence"] else None)
                except (InvalidTransition, UnknownWorkflow) as exc:
                    refused.append(f"{move['key']} → {move['to']}: {exc}")
                store.kv_set(*TRANSITIONS, pending[n + 1 :])  # sent: an interrupted sync does not send it again
            store.close()
            shutil.rmtree(self.root)
        return SyncResult(entries=len(entries), stored=stored, duplicates=duplicates, workflows=len(workflows),
                          regions=len(regions), incidents=len(incidents), transitions=len(pending), refused=tuple(refused))
