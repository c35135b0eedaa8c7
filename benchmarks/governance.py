"""Governance benchmark: cost of verify, sealing and redaction, as ratios to a baseline in the same run.

Run: ``python -m benchmarks.governance [N]`` (default 10,000 entries).
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from datetime import timedelta

import orjson

from ledger_core.config import Settings
from ledger_core.models import Entry, EntryDraft, Line, utcnow
from ledger_core.redaction import redact
from ledger_core.retention import apply_retention
from ledger_core.store import EmbeddedStore


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(n: int = 10_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(tmp)
        old = utcnow() - timedelta(days=100)
        store.append([EntryDraft(ts=old, workflow=f"W{i % 50}", line=Line.REVIEW, minutes=3, cost_usd=4, actor="ana",
                                 note="reviewed", attrs={"i": i}) for i in range(n)])
        docs = [e.body() for e in store.entries()]
        plain = timed(lambda: [hashlib.sha256(orjson.dumps(d, option=orjson.OPT_SORT_KEYS)).hexdigest() for d in docs])
        chained = timed(lambda: [Entry.compute_hash("0" * 64, d) for d in docs])
        read = timed(lambda: EmbeddedStore(tmp).entries())
        verify = timed(lambda: EmbeddedStore(tmp).verify())
        purge = timed(lambda: apply_retention(store, Settings(retention={"default": {"note": 30, "attrs": 30}})))
        assert store.verify().ok
        text = "see https://ci.example.com/run/42 for AKIAIOSFODNN7EXAMPLE by ana@example.com " * 20
        settings = Settings(store_text=True)
        base = timed(lambda: [text.replace("AKIA", "x") for _ in range(2000)])
        red = timed(lambda: [redact(text, settings) for _ in range(2000)])
    print(f"entries: {n}")
    print(f"hash rule (digest per private field) vs one plain sha256: {chained / plain:.2f}x ({chained / n * 1e6:.1f} us/entry)")
    print(f"verify vs loading every entry: {verify / read:.2f}x ({verify:.2f} s, {n / verify:,.0f} entries/s)")
    print(f"retention apply (seal all {n}) vs loading every entry: {purge / read:.2f}x ({purge:.2f} s)")
    print(f"redact 1.6 kB of text vs one str.replace: {red / base:.0f}x ({red / 2000 * 1e6:.0f} us per text)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
