"""Team mode benchmark: appends through the service vs raw psycopg, and a team report over a
large ledger. ``python -m benchmarks.team [--entries 1000000] [--seconds 10]``.

Needs a PostgreSQL (``OPLEDGER_TEST_PG``, default the ``.ci/start-postgres`` server). Runs the
real ``opledger serve`` on loopback and writes docs/benchmarks/team.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import orjson
import psycopg

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "store"))

from team_backends import ADMIN_TOKEN, PG_URL, Service  # noqa: E402

from benchmarks.machine import machine_line  # noqa: E402
from ledger_core.metrics import Period  # noqa: E402
from ledger_core.models import EntryDraft, Line, Tokens, Transition, Workflow, WorkflowState  # noqa: E402
from ledger_core.store.postgres import PostgresStore, upgrade  # noqa: E402

T0 = datetime(2025, 7, 7, tzinfo=UTC)


def _database() -> str:
    name = "opl_bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rpartition("/")[0] + "/" + name
    upgrade(url)
    return url


def _drop(url: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')


def _draft(i: int, client: int) -> dict:
    return EntryDraft(workflow=f"WF-{i % 50}", line=Line.INFERENCE, kind="model_call", tokens=Tokens(input=1200, output=300),
                      cost_usd=Decimal("0.0081"), model="claude-sonnet-4-5", session=f"s{client}", source="bench",
                      source_ref=f"{client}-{i}").model_dump(mode="json")


def _run_clients(clients: int, seconds: float, send) -> tuple[int, list[float]]:
    stop = time.monotonic() + seconds
    counts, latencies = [0] * clients, [[] for _ in range(clients)]

    def worker(n: int) -> None:
        i = 0
        while time.monotonic() < stop:
            began = time.perf_counter()
            i = send(n, i)
            latencies[n].append(time.perf_counter() - began)
            counts[n] = i

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts), [x for xs in latencies for x in xs]


def bench_appends(url: str, clients: int, seconds: float, batch: int, tmp: Path) -> dict:
    # Baseline: raw psycopg inserts of the same rows (JSON document + key) into the same database.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE raw_baseline (source text, source_ref text, doc json, UNIQUE (source, source_ref))")
    conns = [psycopg.connect(url, autocommit=True) for _ in range(clients)]

    def raw(n: int, i: int) -> int:
        rows = [("bench", f"{n}-{j}", orjson.dumps(_draft(j, n)).decode()) for j in range(i, i + batch)]
        with conns[n].cursor() as cur:
            cur.executemany("INSERT INTO raw_baseline VALUES (%s, %s, %s)", rows)
        return i + batch

    raw_total, raw_lat = _run_clients(clients, seconds, raw)
    for c in conns:
        c.close()

    service = Service(url, tmp).start()
    http = [httpx.Client(base_url=service.url + "/v1", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30) for _ in range(clients)]

    def via_service(n: int, i: int) -> int:
        body = orjson.dumps({"entries": [_draft(j, n) for j in range(i, i + batch)]})
        reply = http[n].post("/entries", content=body, headers={"Content-Type": "application/json"})
        reply.raise_for_status()
        return i + batch

    svc_total, svc_lat = _run_clients(clients, seconds, via_service)
    ok = http[0].get("/verify").json()
    service.stop()
    svc_lat.sort()
    return {
        "raw_rate": raw_total / seconds, "svc_rate": svc_total / seconds, "batch": batch, "clients": clients,
        "p50_ms": statistics.median(svc_lat) * 1000, "p99_ms": svc_lat[int(len(svc_lat) * 0.99) - 1] * 1000,
        "raw_p99_ms": sorted(raw_lat)[int(len(raw_lat) * 0.99) - 1] * 1000, "verified": ok["entries"] == svc_total and not ok["problems"],
    }


def bench_report(url: str, entries: int) -> dict:
    store = PostgresStore(url)
    workflows = 2000
    for n in range(workflows):
        start = T0 + timedelta(hours=n * 2)
        store.put_workflow(Workflow(key=f"R-{n}", team="core" if n % 3 else "web", created_at=start, state=WorkflowState.VERIFIED,
                                    transitions=(Transition(state=WorkflowState.OPEN, at=start),
                                                 Transition(state=WorkflowState.MERGED, at=start + timedelta(days=2)),
                                                 Transition(state=WorkflowState.VERIFIED, at=start + timedelta(days=3)))))
    began = time.perf_counter()
    chunk = 20_000
    for base in range(0, entries, chunk):
        drafts = []
        for i in range(base, min(base + chunk, entries)):
            wf = i % workflows
            lines = (Line.INFERENCE, Line.INFERENCE, Line.INFERENCE, Line.REVIEW, Line.REWORK, Line.CONTEXT_PREP)
            line = lines[i % len(lines)]
            drafts.append(EntryDraft(ts=T0 + timedelta(hours=wf * 2, minutes=(i // workflows) % 2880), workflow=f"R-{wf}", line=line,
                                     kind="bounce" if line == Line.REWORK else "model_call", cost_usd=Decimal("0.0123"),
                                     tokens=Tokens(input=900, output=200) if line == Line.INFERENCE else None,
                                     session=f"s{wf}-{i % 4}", source="bench", source_ref=str(i)))
        store.append(drafts)
    load_seconds = time.perf_counter() - began
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE entries")
    quarter = Period(since=T0 + timedelta(days=60), until=T0 + timedelta(days=150), label="quarter")
    timings = {}
    for label, period, team in (("all time", Period(), None), ("one quarter, one team", quarter, "core")):
        began = time.perf_counter()
        report = store.team_report(period, team)
        timings[label] = (time.perf_counter() - began, report.metrics.verified_outcomes)
    # Baseline: the same report the generic way (every entry loaded into Python) on a 100k slice.
    began = time.perf_counter()
    sample = store.entries(until=T0 + timedelta(days=20))
    generic_load = time.perf_counter() - began
    store.close()
    return {"entries": entries, "load_seconds": load_seconds, "timings": timings, "generic_entries": len(sample), "generic_load": generic_load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"opledger-bench-{uuid.uuid4().hex[:6]}"
    tmp.mkdir(parents=True)
    url = _database()
    try:
        appends = bench_appends(url, args.clients, args.seconds, args.batch, tmp)
        single = bench_appends(_fresh := _database(), args.clients, args.seconds / 2, 1, tmp)
        _drop(_fresh)
        report = bench_report(_database_for_report := _database(), args.entries)
        _drop(_database_for_report)
    finally:
        _drop(url)
    lines = [
        "# Team mode benchmark", "", f"Machine: {machine_line()}", "",
        f"Loopback, {args.clients} concurrent clients, {args.seconds:g} s each phase, same PostgreSQL database for baseline and service.", "",
        "| measurement | figure |", "|---|---|",
    ]
    for a in (appends, single):
        lines += [
            f"| raw psycopg inserts, batches of {a['batch']} | {a['raw_rate']:,.0f} entries/s (p99 {a['raw_p99_ms']:.1f} ms) |",
            f"| through the service, batches of {a['batch']} | {a['svc_rate']:,.0f} entries/s, p50 {a['p50_ms']:.1f} ms, p99 {a['p99_ms']:.1f} ms; "
            f"{a['svc_rate'] / a['raw_rate']:.2f}× raw; chain verified: {a['verified']} |",
        ]
    for label, (seconds, verified) in report["timings"].items():
        lines.append(f"| team report over {report['entries']:,} entries, {label} | {seconds:.2f} s ({verified} verified outcomes) |")
    lines.append(f"| generic path (every entry into Python), {report['generic_entries']:,} entries just loaded | {report['generic_load']:.2f} s |")
    lines.append(f"| loading {report['entries']:,} entries through PostgresStore.append (20k batches) | {report['load_seconds']:.0f} s |")
    text = "\n".join(lines) + "\n"
    out = REPO / "docs" / "benchmarks" / "team.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
