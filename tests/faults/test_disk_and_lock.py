"""Disk full and a store locked for seconds: a clear error, exit status 3, and nothing changed."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from filelock import FileLock

from ledger_core.errors import StoreLocked
from ledger_core.models import EntryDraft, Line
from ledger_core.store import EmbeddedStore
OPLEDGER = str(Path(sys.executable).with_name("opledger"))


def _snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != ".lock"}


def _seed(ledger_env: dict[str, str], n: int = 50) -> Path:
    root = Path(ledger_env["OPLEDGER_STORE"])
    store = EmbeddedStore(root)
    store.put_workflow(__import__("ledger_core.models", fromlist=["Workflow"]).Workflow(key="W1"))
    store.append([EntryDraft(workflow="W1", line=Line.REVIEW, minutes=1, cost_usd=1, source="seed", source_ref=str(i)) for i in range(n)])
    return root


def test_disk_full_gives_a_clear_error_and_keeps_previous_data(ledger_env):
    root = _seed(ledger_env)
    before = _snapshot(root)
    limit = (root / "entries" / "seg-00000000.json").stat().st_size  # the rewritten segment cannot fit

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # stays ignored across exec: writes fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run([OPLEDGER, "record", "review", "W1", "--minutes", "5"], env=ledger_env,
                            capture_output=True, text=True, preexec_fn=full_disk, timeout=120)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("error: cannot write ") and "seg-00000000.json: File too large" in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(root) == before  # the half-written temp file is gone too
    store = EmbeddedStore(root)
    assert store.verify().ok and len(store.entries()) == 50
    store.append([EntryDraft(workflow="W1", line=Line.REVIEW, minutes=1)])  # space is back: writing works again
    assert len(store.entries()) == 51 and store.verify().ok


def test_locked_store_times_out_with_a_clear_message_and_writes_nothing(ledger_env):
    root = _seed(ledger_env, 3)
    before = _snapshot(root)
    with FileLock(root / ".lock"):
        started = time.monotonic()
        result = subprocess.run([OPLEDGER, "record", "review", "W1", "--minutes", "5"], env=ledger_env | {"OPLEDGER_LOCK_TIMEOUT": "1.5"},
                                capture_output=True, text=True, timeout=120)
        waited = time.monotonic() - started
    assert result.returncode == 3 and "is locked by another process for over 1.5s" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and waited >= 1.5
    assert _snapshot(root) == before
    # Reads do not need the lock.
    assert len(EmbeddedStore(root).entries()) == 3


def test_a_writer_waits_out_a_lock_held_for_seconds(tmp_path):
    root = tmp_path / "s"
    EmbeddedStore(root)
    holder = FileLock(root / ".lock", thread_local=False)  # released by the timer thread
    holder.acquire()
    release = threading.Timer(2.0, holder.release)
    release.start()
    started = time.monotonic()
    EmbeddedStore(root, lock_timeout=10).append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=1)])
    assert time.monotonic() - started >= 1.9
    release.join()
    store = EmbeddedStore(root, lock_timeout=0.2)
    with FileLock(root / ".lock"):
        try:
            store.append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=1)])
            raise AssertionError("append under a held lock must fail")
        except StoreLocked as exc:
            assert str(root) in str(exc)
    assert len(store.entries()) == 1 and store.verify().ok
