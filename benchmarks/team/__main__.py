"""Team mode benchmark: appends through the service vs raw psycopg, and a team report over a
large ledger. ``python -m benchmarks.team [--entries 1000000] [--seconds 10]``.

Needs a PostgreSQL (``OPLEDGER_TEST_PG``, default the ``.ci/start-postgres`` server). Runs the
real ``opledger serve`` on loopback and writes docs/benchmarks/team.md.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import statistics
import sys
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
from ledger_core.store.postgres import _DATETIME as _TS  # noqa: E402
from ledger_core.store.postgres import _ENTRY_COLUMNS, PostgresStore, migrations, upgrade  # noqa: E402

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


_TEMPLATE = EntryDraft(workflow="WF-0", line=Line.INFERENCE, kind="model_call", tokens=Tokens(input=1200, output=300),
                       cost_usd=Decimal("0.0081"), model="claude-sonnet-4-5", session="s0", source="bench",
                       source_ref="0").model_dump(mode="json")


def _draft(i: int, client: int) -> dict:
    # What a hook sends for one model call (built from a template: the clients' own CPU counts too).
    return _TEMPLATE | {"workflow": f"WF-{i % 50}", "session": f"s{client}", "source_ref": f"{client}-{i}",
                        "ts": _TS.dump_python(datetime.now(UTC), mode="json")}


def _client(n: int, connect, start_at: float, seconds: float, results) -> None:
    send = connect(n)
    i, latencies = 0, []
    time.sleep(max(0.0, start_at - time.time()))
    stop = start_at + seconds
    while time.time() < stop:
        began = time.perf_counter()
        i = send(i)
        latencies.append(time.perf_counter() - began)
    results.put((i, latencies))


def _run_clients(clients: int, seconds: float, connect) -> tuple[int, list[float]]:
    """``clients`` processes (not threads: a Python load generator on one GIL would measure
    itself), each looping ``send = connect(n); i = send(i)`` for ``seconds``."""
    context = multiprocessing.get_context("fork")
    results = context.SimpleQueue()
    start_at = time.time() + 1.0 + clients * 0.05
    procs = [context.Process(target=_client, args=(n, connect, start_at, seconds, results)) for n in range(clients)]
    for proc in procs:
        proc.start()
    gathered = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
    return sum(g[0] for g in gathered), [x for g in gathered for x in g[1]]


def bench_appends(url: str, clients: int, seconds: float, batch: int, tmp: Path, workers: int = 1) -> dict:
    # Baseline: raw psycopg inserts of the same rows (JSON document + key) into the same database.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE raw_baseline (source text, source_ref text, doc json, UNIQUE (source, source_ref))")

    def raw(n: int):
        conn = psycopg.connect(url, autocommit=True)

        def send(i: int) -> int:
            rows = [("bench", f"{n}-{j}", orjson.dumps(_draft(j, n)).decode()) for j in range(i, i + batch)]
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO raw_baseline VALUES (%s, %s, %s)", rows)
            return i + batch
        return send

    raw_total, raw_lat = _run_clients(clients, seconds, raw)

    service = Service(url, tmp, workers=workers).start()
    port = int(service.url.rpartition(":")[2])
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}

    def via_service(n: int):
        # The standard library's client: light enough that the load generator is not what is measured.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def send(i: int) -> int:
            conn.request("POST", "/v1/entries", body=orjson.dumps({"entries": [_draft(j, n) for j in range(i, i + batch)]}), headers=headers)
            reply = conn.getresponse()
            body = reply.read()
            if reply.status != 200:
                raise RuntimeError(f"service answered {reply.status}: {body[:200]!r}")
            return i + batch
        return send

    svc_total, svc_lat = _run_clients(clients, seconds, via_service)
    ok = httpx.get(service.url + "/v1/verify", headers=headers, timeout=300).json()
    service.stop()
    svc_lat.sort()
    return {
        "raw_rate": raw_total / seconds, "svc_rate": svc_total / seconds, "batch": batch, "clients": clients, "workers": workers,
        "p50_ms": statistics.median(svc_lat) * 1000, "p99_ms": svc_lat[int(len(svc_lat) * 0.99) - 1] * 1000,
        "raw_p99_ms": sorted(raw_lat)[int(len(raw_lat) * 0.99) - 1] * 1000, "raw_p50_ms": statistics.median(raw_lat) * 1000, "verified": ok["entries"] == svc_total and not ok["problems"],
    }


def _copy_ledger(url: str, entries: int, workflows: int) -> float:
    """``entries`` chained entries written straight into the version-1 tables with COPY (as a
    ledger that grew under an older opledger), then ``upgrade`` to the current schema, which
    builds the daily rollups. Returns the seconds the upgrade took."""
    from ledger_core.models import GENESIS_HASH, Entry, new_id
    from ledger_core.store.postgres import _entry_row

    lines = (Line.INFERENCE, Line.INFERENCE, Line.INFERENCE, Line.REVIEW, Line.REWORK, Line.CONTEXT_PREP)
    recorded = datetime(2026, 1, 1, tzinfo=UTC)
    # Documents are the exact JSON form of each draft, built from a few templates for speed.
    templates = {}
    for line in set(lines):
        draft = EntryDraft(ts=T0, workflow="x", line=line, kind="bounce" if line == Line.REWORK else "model_call",
                           cost_usd=Decimal("0.0123"), minutes=Decimal(0) if line != Line.REVIEW else Decimal(4),
                           tokens=Tokens(input=900, output=200) if line == Line.INFERENCE else None,
                           session="s" if line == Line.INFERENCE else None, source="bench", source_ref="0")
        templates[line] = (draft, draft.model_dump(mode="json"))
    prev = GENESIS_HASH
    with psycopg.connect(url, autocommit=True) as conn:
        for base in range(0, entries, 50_000):
            rows, docs = [], []
            for i in range(base, min(base + 50_000, entries)):
                wf = i % workflows
                # Each workflow's ~500 entries spread over 10 days, four agent sessions and every line.
                nth = i // workflows
                line = lines[nth % len(lines)]
                draft, body = templates[line]
                ts = T0 + timedelta(hours=wf * 2, minutes=(i * 7919) % 14_400)
                session = f"s{wf}-{nth % 4}" if line == Line.INFERENCE else None
                entry_id = new_id()
                body = body | {"ts": _TS.dump_python(ts, mode="json"), "workflow": f"R-{wf}", "session": session,
                               "source_ref": str(i), "id": entry_id, "seq": i, "recorded_at": _TS.dump_python(recorded, mode="json")}
                digest = Entry.compute_hash(prev, body)
                docs.append((i, orjson.dumps(body | {"prev_hash": prev, "hash": digest}).decode()))
                rows.append(_entry_row(draft.model_copy(update={"ts": ts, "workflow": f"R-{wf}", "session": session,
                                                                "source_ref": str(i)}), i, entry_id, digest))
                prev = digest
            with conn.cursor() as cur:
                with cur.copy(f"COPY entries ({', '.join(_ENTRY_COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                with cur.copy("COPY entry_docs (seq, doc) FROM STDIN") as copy:
                    for row in docs:
                        copy.write_row(row)
        conn.execute("UPDATE chain_head SET next_seq = %s, hash = %s", (entries, prev))
    began = time.perf_counter()
    upgrade(url)
    return time.perf_counter() - began


def bench_report(entries: int) -> dict:
    name = "opl_bench_" + uuid.uuid4().hex[:8]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rpartition("/")[0] + "/" + name
    try:
        with psycopg.connect(url, autocommit=True) as conn:  # schema version 1 only, as an older opledger left it
            first = migrations()[0]
            conn.execute("CREATE TABLE opledger_schema (version integer PRIMARY KEY, name text NOT NULL,"
                         " applied_at timestamptz NOT NULL DEFAULT now())")
            conn.execute(first[2])
            conn.execute("INSERT INTO opledger_schema (version, name) VALUES (%s, %s)", first[:2])
        workflows = 2000
        began = time.perf_counter()
        upgrade_seconds = _copy_ledger(url, entries, workflows)
        load_seconds = time.perf_counter() - began
        store = PostgresStore(url)
        for n in range(workflows):
            start = T0 + timedelta(hours=n * 2)
            store.put_workflow(Workflow(key=f"R-{n}", team="core" if n % 3 else "web", created_at=start, state=WorkflowState.VERIFIED,
                                        transitions=(Transition(state=WorkflowState.OPEN, at=start),
                                                     Transition(state=WorkflowState.MERGED, at=start + timedelta(days=4)),
                                                     Transition(state=WorkflowState.VERIFIED, at=start + timedelta(days=5)))))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            rollup_rows = conn.execute("SELECT count(*) FROM entry_rollups").fetchone()[0]
            # Baseline: raw psycopg, the cheapest full pass there is over the same entries.
            began = time.perf_counter()
            conn.execute("SELECT workflow, line, sum(cost_usd), count(*) FROM entries GROUP BY 1, 2").fetchall()
            raw_seconds = time.perf_counter() - began
        quarter = Period(since=T0 + timedelta(days=60, hours=9), until=T0 + timedelta(days=150, hours=9), label="quarter")
        week = Period(since=T0 + timedelta(days=63), until=T0 + timedelta(days=70), label="week")
        timings = {}
        for label, period, team in (("all time", Period(), None), ("one quarter (not day-aligned), one team", quarter, "core"),
                                    ("one week, all teams (digest)", week, None)):
            began = time.perf_counter()
            report = store.team_report(period, team)
            timings[label] = (time.perf_counter() - began, report.metrics.verified_outcomes)
        ok = store.team_report(Period(), None).metrics.total_cost_usd == Decimal("0.0123") * entries
        # The generic path (every entry into Python) on a 1/20 slice, for scale.
        began = time.perf_counter()
        sample = store.entries(until=T0 + timedelta(days=8))
        generic_load = time.perf_counter() - began
        store.close()
    finally:
        _drop(url)
    return {"entries": entries, "load_seconds": load_seconds, "upgrade_seconds": upgrade_seconds, "rollup_rows": rollup_rows,
            "raw_seconds": raw_seconds, "timings": timings, "total_ok": ok, "generic_entries": len(sample), "generic_load": generic_load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="service worker processes")
    parser.add_argument("--skip-appends", action="store_true")
    parser.add_argument("--skip-report", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print the table but leave docs/benchmarks/team.md alone")
    args = parser.parse_args()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"opledger-bench-{uuid.uuid4().hex[:6]}"
    tmp.mkdir(parents=True)
    runs = []
    if not args.skip_appends:
        # Single-entry requests (what hooks send) with one and two service processes, then batches.
        phases = [(1, args.seconds, args.workers), (1, args.seconds, 2 if args.workers == 1 else 1),
                  (5, args.seconds / 2, args.workers), (20, args.seconds / 2, args.workers)]
        for batch, seconds, workers in phases:
            url = _database()
            try:
                runs.append(bench_appends(url, args.clients, seconds, batch, tmp, workers))
            finally:
                _drop(url)
    report = None if args.skip_report else bench_report(args.entries)
    lines = [
        "| measurement | figure |", "|---|---|",
    ]
    for a in runs:
        lines += [
            f"| raw psycopg inserts, batches of {a['batch']} | {a['raw_rate']:,.0f} entries/s (p50 {a['raw_p50_ms']:.1f} ms, p99 {a['raw_p99_ms']:.1f} ms) |",
            f"| through the service ({a['workers']} worker{'s' if a['workers'] > 1 else ''}), batches of {a['batch']} | {a['svc_rate']:,.0f} entries/s ({a['svc_rate'] / a['raw_rate']:.2f}× raw), "
            f"p50 {a['p50_ms']:.1f} ms, p99 {a['p99_ms']:.1f} ms ({a['p99_ms'] / a['raw_p99_ms']:.2f}× raw); chain verified: {a['verified']} |",
        ]
    if report:
        lines.append(f"| raw psycopg `GROUP BY workflow, line` over the {report['entries']:,} entries | {report['raw_seconds']:.2f} s |")
        for label, (seconds, verified) in report["timings"].items():
            lines.append(f"| team report over {report['entries']:,} entries, {label} | {seconds:.2f} s ({seconds / report['raw_seconds']:.2f}× raw; {verified} verified outcomes) |")
        lines.append(f"| daily rollup rows behind those {report['entries']:,} entries | {report['rollup_rows']:,}; all-time total equals the sum of the entries: {report['total_ok']} |")
        lines.append(f"| generic path (every entry into Python), {report['generic_entries']:,} entries just loaded | {report['generic_load']:.2f} s |")
        lines.append(f"| generating {report['entries']:,} chained entries with COPY, incl. `db upgrade` building their rollups | {report['load_seconds']:.0f} s (upgrade {report['upgrade_seconds']:.1f} s) |")
    table = "\n".join(lines) + "\n"
    print(f"Machine: {machine_line()}\nLoopback, {args.clients} concurrent clients, {args.seconds:g} s per batch-of-1 phase.\n\n{table}")
    if not args.no_write:
        out = REPO / "docs" / "benchmarks" / "team.md"
        out.write_text(f"# Team mode benchmark\n\nMachine: {machine_line()}\n\nLoopback, {args.clients} concurrent clients, "
                       f"{args.seconds:g} s per batch-of-1 phase; baseline and service write the same database.\n\n{table}")


if __name__ == "__main__":
    main()
