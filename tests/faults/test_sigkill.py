"""SIGKILL of writers at random points: the store loads, verifies, and no acknowledged entry is lost.

Each trial forks a writer from this (already imported) process, so a trial costs milliseconds
rather than an interpreter start; the writer appends in a loop and reports each acknowledged
id on a pipe, and is killed after a seeded random delay — mid-append, mid-rename, mid-index.
"""

from __future__ import annotations

import os
import random
import select
import signal
import time
from pathlib import Path

from ledger_core.models import EntryDraft, Line
from ledger_core.store import EmbeddedStore

TRIALS = 120
SEED = 20260101


def _writer(root: Path, trial: int, write_fd: int) -> None:
    store = EmbeddedStore(root)
    i = 0
    while True:
        drafts = [EntryDraft(workflow=f"W{trial % 3}", line=Line.INFERENCE, cost_usd="0.01", count=1,
                             source=f"t{trial}", source_ref=f"{i}.{k}") for k in range(1 + i % 3)]
        result = store.append(drafts)
        os.write(write_fd, b"".join(f"{e.id} t{trial} {e.source_ref}\n".encode() for e in result.stored))
        i += 1


def _trial(root: Path, trial: int, delay: float) -> list[tuple[str, str, str]]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the writer
        os.close(read_fd)
        try:
            _writer(root, trial, write_fd)
        finally:
            os._exit(1)
    os.close(write_fd)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    chunks = []
    while select.select([read_fd], [], [], 0)[0]:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    lines = b"".join(chunks).decode().splitlines()
    # A line cut by the kill was never fully acknowledged.
    return [tuple(line.split(" ")) for line in lines if len(line.split(" ")) == 3]  # type: ignore[misc]


def test_random_sigkills_lose_no_acknowledged_entry(tmp_path, record_property):
    rng = random.Random(SEED)
    root = tmp_path / "store"
    EmbeddedStore(root)
    acknowledged: dict[str, tuple[str, str]] = {}
    for trial in range(TRIALS):
        for entry_id, source, ref in _trial(root, trial, rng.uniform(0.01, 0.3)):
            acknowledged[entry_id] = (source, ref)
        store = EmbeddedStore(root)
        report = store.verify()
        assert report.ok, (trial, report.problems)
        entries = store.entries()
        ids = {e.id for e in entries}
        lost = set(acknowledged) - ids
        assert not lost, f"trial {trial}: {len(lost)} acknowledged entries lost"
        assert [e.seq for e in entries] == list(range(len(entries)))
    assert len(acknowledged) > TRIALS // 2  # the writers did get work done between kills
    # After all the crashes the idempotency index is whole: re-sending every acknowledged fact adds nothing.
    store = EmbeddedStore(root)
    again = store.append([EntryDraft(workflow="W0", line=Line.INFERENCE, cost_usd="0.01", count=1, source=s, source_ref=r)
                          for s, r in acknowledged.values()])
    assert again.stored == () and len(again.duplicates) == len(acknowledged)
    assert not list(root.rglob(".tmp-*"))  # the last append swept what the killed writers left
    record_property("trials", TRIALS)
    record_property("acknowledged", len(acknowledged))
