"""Group commit on the event loop: the service's hot path.

Every editor hook and importer sends its entries here, mostly one per request. Requests that
arrive while a group is being written wait on the event loop and then go together in one
transaction, with one hop to a worker thread per group rather than one per request: on a
small machine the hops and the lock hand-offs between threads cost more CPU than the write.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence

from starlette.concurrency import run_in_threadpool

from ..errors import StoreError
from ..models import EntryDraft
from ..store import AppendResult, Store

Outcome = AppendResult | Exception


class GroupCommit:
    """Appends to ``store``, batched across concurrent requests when the store can write
    several batches in one transaction (``append_many``); otherwise one call per request."""

    def __init__(self, store: Store, *, max_entries: int = 5000) -> None:
        self._store = store
        self._many: Callable[[Sequence[Sequence[EntryDraft]]], list[Outcome]] | None = getattr(store, "append_many", None)
        self._max_entries = max_entries
        self._waiting: deque[tuple[Sequence[EntryDraft], asyncio.Future[AppendResult]]] = deque()
        self._writer: asyncio.Task[None] | None = None

    async def append(self, drafts: Sequence[EntryDraft]) -> AppendResult:
        if self._many is None:
            return await run_in_threadpool(self._store.append, drafts)
        done: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((drafts, done))
        if self._writer is None:
            # A task of its own, so that a caller who hangs up does not stop the others' writes.
            self._writer = asyncio.create_task(self._write())
        return await done

    async def _write(self) -> None:
        group: list[tuple[Sequence[EntryDraft], asyncio.Future[AppendResult]]] = []
        try:
            while self._waiting:
                group, size = [], 0
                while self._waiting and (not group or size + len(self._waiting[0][0]) <= self._max_entries):
                    group.append(self._waiting.popleft())
                    size += len(group[-1][0])
                try:
                    outcomes: list[Outcome] = await run_in_threadpool(self._many, [drafts for drafts, _ in group])
                except Exception as exc:  # the store failed as a whole: every caller hears why
                    outcomes = [exc] * len(group)
                for (_, done), outcome in zip(group, outcomes, strict=True):
                    if done.done():
                        continue
                    if isinstance(outcome, Exception):
                        done.set_exception(outcome)
                    else:
                        done.set_result(outcome)
        finally:
            # Cancelled at shutdown: nobody is left to write what waits, so its callers hear so.
            self._writer = None
            for _, done in [*group, *self._waiting]:
                if not done.done():
                    done.set_exception(StoreError("the service stopped before this append was written"))
            self._waiting.clear()
