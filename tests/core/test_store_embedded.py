"""The embedded store under concurrent writers, crashes, and files it must refuse to touch."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ledger_core.errors import CorruptStore, StoreError
from ledger_core.models import EntryDraft, Line
from ledger_core.store import EmbeddedStore

WRITER = textwrap.dedent(
    """
    import sys
    from ledger_core.models import EntryDraft
    from ledger_core.store import EmbeddedStore
    store = EmbeddedStore(sys.argv[1], lock_timeout=600)  # a loaded CI machine may starve a writer
    name, count = sys.argv[2], int(sys.argv[3])
    for i in range(count):
        result = store.append([EntryDraft(workflow="W", line="inference", cost_usd="0.01", source=name, source_ref=str(i))])
        print(result.stored[0].source_ref if result.stored else "dup", flush=True)
    """
)


def _writer(root: Path, name: str, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(root), name, str(count)], stdout=subprocess.PIPE, text=True)


def test_idempotency_key_stores_a_fact_once(tmp_path):
    store = EmbeddedStore(tmp_path / "s")
    draft = EntryDraft(workflow="W", line=Line.REVIEW, minutes=5, source="pr", source_ref="42")
    first = store.append([draft, draft])
    again = EmbeddedStore(tmp_path / "s").append([draft])
    assert len(first.stored) == 1 and first.duplicates == (first.stored[0].id,)
    assert again.stored == () and again.duplicates == (first.stored[0].id,)
    assert len(store.entries()) == 1


# Eight processes × 1,000 appends (with skewed clocks): tests/faults/test_concurrency.py.


def test_sigkill_mid_append_loses_no_acknowledged_entry(tmp_path):
    rng = random.Random(7)
    root = tmp_path / "s"
    EmbeddedStore(root)
    acknowledged: set[str] = set()
    for trial in range(12):
        proc = _writer(root, f"t{trial}", 10_000)
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        acknowledged |= {f"t{trial}:{ref}" for ref in out.split() if ref != "dup"}
    store = EmbeddedStore(root)
    stored = {f"{e.source}:{e.source_ref}" for e in store.entries()}
    assert acknowledged <= stored
    assert store.verify().ok
    # Leftover temp files of killed writers are swept by the next writer.
    store.append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=1)])
    assert not list(root.rglob(".tmp-*"))
    # The key index was repaired: re-sending every acknowledged fact adds nothing.
    again = store.append([EntryDraft(workflow="W", line=Line.INFERENCE, cost_usd="0.01", source=k.split(":")[0], source_ref=k.split(":")[1]) for k in sorted(acknowledged)])
    assert again.stored == ()


def test_newer_schema_is_refused_and_left_untouched(tmp_path):
    root = tmp_path / "s"
    EmbeddedStore(root)
    meta = root / "meta.json"
    meta.write_text(json.dumps({"format": "opledger-embedded", "schema": 99}))
    with pytest.raises(StoreError, match="newer opledger"):
        EmbeddedStore(root)
    assert json.loads(meta.read_text())["schema"] == 99


def test_foreign_directory_and_file_are_refused(tmp_path):
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.json").write_text("{}")
    with pytest.raises(StoreError, match="not an opledger store"):
        EmbeddedStore(foreign)
    assert [p.name for p in foreign.iterdir()] == ["todo.json"]
    a_file = tmp_path / "ledger.json"
    a_file.write_text('{"x": 1}')
    with pytest.raises(StoreError, match="is a file"):
        EmbeddedStore(a_file)
    assert a_file.read_text() == '{"x": 1}'


def test_corrupt_segment_names_the_file_and_is_not_overwritten(tmp_path):
    root = tmp_path / "s"
    store = EmbeddedStore(root)
    store.append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=1)])
    segment = next((root / "entries").glob("seg-*.json"))
    segment.write_text('{"entries": {"0": {"seq": 0, "trunc')
    with pytest.raises(CorruptStore, match=str(segment)):
        EmbeddedStore(root).entries()
    with pytest.raises(CorruptStore):
        EmbeddedStore(root).append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=1)])
    assert segment.read_text() == '{"entries": {"0": {"seq": 0, "trunc'
    report = EmbeddedStore(root).verify()
    assert not report.ok and report.problems[0].kind == "corrupt" and str(segment) in report.problems[0].where


def test_read_only_store_gives_clear_error_and_stays_readable(tmp_path):
    """The store is bind-mounted read-only in a private mount namespace (root ignores modes)."""
    import shutil

    if not shutil.which("unshare") or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("no private mount namespaces here (unshare -m)")
    root = tmp_path / "s"
    EmbeddedStore(root).append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=1)])
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    script = (
        "import sys\nfrom ledger_core.store import EmbeddedStore\nfrom ledger_core.models import EntryDraft\n"
        "s = EmbeddedStore(sys.argv[1])\nprint(len(s.entries()), flush=True)\n"
        "s.append([EntryDraft(workflow='W', line='review', minutes=1)])\n"
    )
    shell = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && exec "$2" -c "$3" "$1"'
    result = subprocess.run(["unshare", "-m", "sh", "-c", shell, "sh", str(root), sys.executable, script], capture_output=True, text=True)
    assert result.stdout.strip() == "1"  # reading still works
    assert result.returncode != 0 and "StoreError" in result.stderr and str(root) in result.stderr
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_edit_of_a_stored_entry_is_detected(tmp_path):
    root = tmp_path / "s"
    store = EmbeddedStore(root)
    store.append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=m, cost_usd=m) for m in range(1, 6)])
    segment = next((root / "entries").glob("seg-*.json"))
    data = json.loads(segment.read_text())
    data["entries"]["2"]["cost_usd"] = "0.01"
    segment.write_text(json.dumps(data))
    report = EmbeddedStore(root).verify()
    assert [(p.kind, p.seq) for p in report.problems] == [("edit", 2)]


def test_segments_roll_over_and_chain_across_them(tmp_path, monkeypatch):
    import ledger_core.store.embedded as embedded

    monkeypatch.setattr(embedded, "SEGMENT_SIZE", 10)
    store = EmbeddedStore(tmp_path / "s")
    store.append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=1) for _ in range(25)])
    for _ in range(3):
        store.append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=1)])
    assert len(list((tmp_path / "s" / "entries").glob("seg-*.json"))) == 3
    assert [e.seq for e in store.entries()] == list(range(28))
    assert store.verify().ok


def test_many_processes_creating_the_same_store_at_once_all_succeed(tmp_path):
    root = tmp_path / "new" / "store"
    writers = [_writer(root, f"c{n}", 3) for n in range(6)]
    outputs = [w.communicate(timeout=120)[0] for w in writers]
    assert [w.returncode for w in writers] == [0] * 6
    assert sum(len(o.split()) for o in outputs) == 18
    assert len(EmbeddedStore(root).entries()) == 18
