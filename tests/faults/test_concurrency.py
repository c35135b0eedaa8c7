"""Eight writers at once, each with its own skewed clock: exactly 8,000 entries, one intact chain,
and reports that count every entry in the period its (out-of-order) time falls in."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest

from ledger_core.metrics import Period
from ledger_core.models import EntryDraft, Line, utcnow
from ledger_core.report import team_report
from ledger_core.store import EmbeddedStore

WRITERS, APPENDS = 8, 1000
SKEW = [timedelta(hours=h) for h in (-3, 2, 0, -1, 5, -7, 1, 0)]  # each writer's clock error


def _write(root, n: int) -> None:
    import ledger_core.store.embedded as embedded

    skew = SKEW[n]
    embedded.utcnow = lambda: utcnow() + skew  # this process's clock is wrong (recorded_at)
    store = EmbeddedStore(root, lock_timeout=600)  # a loaded CI machine may starve one writer
    for i in range(APPENDS):
        store.append([EntryDraft(ts=utcnow() + skew, workflow=f"W{n}", line=Line.INFERENCE, cost_usd=Decimal("0.01"),
                                 count=1, source=f"w{n}", source_ref=str(i))])


@pytest.mark.slow
@pytest.mark.timeout(900)  # 8,000 serialised appends; a loaded 2-core machine needs minutes
def test_eight_skewed_writers_append_exactly_eight_thousand(tmp_path):
    root = tmp_path / "store"
    EmbeddedStore(root)
    pids = []
    for n in range(WRITERS):
        pid = os.fork()
        if pid == 0:
            status = 0
            try:
                _write(root, n)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        pids.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in pids]
    assert statuses == [0] * WRITERS
    store = EmbeddedStore(root)
    entries = store.entries()
    assert len(entries) == WRITERS * APPENDS
    assert [e.seq for e in entries] == list(range(WRITERS * APPENDS))
    assert len({(e.source, e.source_ref) for e in entries}) == WRITERS * APPENDS
    assert store.verify().ok
    # The clocks disagreed, so neither ts nor recorded_at is monotonic along the chain.
    assert any(b.ts < a.ts for a, b in zip(entries, entries[1:]))
    assert any(b.recorded_at < a.recorded_at for a, b in zip(entries, entries[1:]))
    report = team_report(store, Period())
    assert report.metrics.total_cost_usd == Decimal("80.00")
    # A period that ends now leaves out exactly the writers whose clocks ran ahead.
    now = utcnow()
    ahead = sum(1 for e in entries if e.ts >= now)
    assert ahead == APPENDS * sum(1 for s in SKEW if s > timedelta(minutes=30))
    assert team_report(store, Period(until=now)).metrics.total_cost_usd == Decimal("0.01") * (len(entries) - ahead)
