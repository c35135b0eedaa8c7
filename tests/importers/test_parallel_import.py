"""A large Claude Code import is parsed in worker processes: the ledger it writes must be the
one a single process writes, quirks and all, and a re-import must find nothing new."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.importers.corpus import generate
from ledger_core.config import Settings
from ledger_core.importers import claude_code
from ledger_core.store import EmbeddedStore


def _ledger(store: EmbeddedStore) -> list[tuple]:
    # Everything but ids, hashes and recording times, which differ between any two stores.
    return sorted(
        (e.line.value, e.kind, e.source_ref, e.session, e.workflow, e.ts, e.model, e.tokens, e.cost_usd, tuple(sorted(e.attrs.items())))
        for e in store.entries()
    )


@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_parse_writes_the_same_ledger_as_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    corpus = generate(tmp_path / "claude", sessions=7, lines=150, seed=11, filler_bytes=200)
    projects = [corpus / "projects"]
    serial = EmbeddedStore(tmp_path / "serial")
    alone = claude_code.import_paths(serial, Settings(import_workers=1), projects, env={})

    monkeypatch.setattr(claude_code, "PARALLEL_BYTES", 0)
    spawned = []
    real = claude_code._parse_in_workers
    monkeypatch.setattr(claude_code, "_parse_in_workers", lambda *a: spawned.append(len(a[2])) or real(*a))
    parallel = EmbeddedStore(tmp_path / "parallel")
    together = claude_code.import_paths(parallel, Settings(import_workers=workers), projects, env={})

    assert spawned == [workers]
    assert _ledger(parallel) == _ledger(serial) and parallel.verify().ok
    assert together.model_dump() == alone.model_dump()
    assert alone.entries_added > 100 and alone.rework_added > 0 and alone.skipped_count > 0  # the quirks are there
    again = claude_code.import_paths(parallel, Settings(import_workers=workers), projects, env={})
    assert (again.entries_added, again.files_unchanged) == (0, again.files)


def test_a_tie_across_workers_keeps_the_copy_from_the_earlier_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    def line(session: str, minute: int) -> str:
        return json.dumps({"type": "assistant", "sessionId": session, "timestamp": f"2026-03-02T10:{minute:02d}:00.000Z",
                           "requestId": "req_1", "message": {"id": "msg_1", "model": "claude-sonnet-4-5",
                                                              "usage": {"input_tokens": 10, "output_tokens": 5}}}) + "\n"

    folder = tmp_path / "projects" / "p"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text(line("first", 1))
    (folder / "b.jsonl").write_text(line("resumed", 2))  # the same response, copied into a resumed session
    monkeypatch.setattr(claude_code, "PARALLEL_BYTES", 0)
    store = EmbeddedStore(tmp_path / "store")
    claude_code.import_paths(store, Settings(import_workers=2), [tmp_path / "projects"], env={})
    (call,) = store.entries()
    assert (call.session, call.ts.minute) == ("first", 1)
