"""Figures, each against a baseline measured in the same run on the same machine:

* ack latency of 50 simultaneous signed ``/ledger show`` requests to ``opledger slack serve``
  vs. 50 simultaneous ``GET /healthz`` to the same server (the HTTP floor);
* building the weekly digest of a team with 1,000 workflows vs. the plain team report.
"""

from __future__ import annotations

import concurrent.futures
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "slack"))  # the fake Slack Web API and the signing helpers

from slack_fake_api import FakeSlack  # noqa: E402
from slack_harness import BOT_TOKEN, OPLEDGER, Bot, bot_env, free_port  # noqa: E402

from benchmarks.machine import machine_line  # noqa: E402
from ledger_core.digest import weekly_digest  # noqa: E402
from ledger_core.metrics import week_period  # noqa: E402
from ledger_core.models import EntryDraft, Line, Tokens, Transition, Workflow, WorkflowState  # noqa: E402
from ledger_core.report import team_report  # noqa: E402
from ledger_core.store import EmbeddedStore  # noqa: E402

CONCURRENCY = 50
ROUNDS = 5


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ack_latency(tmp: Path) -> dict[str, float]:
    fake = FakeSlack(BOT_TOKEN).start()
    env = bot_env(tmp, fake)
    subprocess.run([OPLEDGER, "workflow", "start", "BENCH-1", "--team", "core"], env=env, check=True, capture_output=True)
    subprocess.run([OPLEDGER, "record", "review", "BENCH-1", "--minutes", "30"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([OPLEDGER, "slack", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bot = Bot(url=f"http://127.0.0.1:{port}", fake=fake, env=env, log=tmp / "log",
              http=httpx.Client(timeout=10, limits=httpx.Limits(max_connections=200)))
    try:
        for _ in range(300):
            try:
                if bot.http.get(bot.url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        bot.command("show BENCH-1")  # warm-up: first dispatch imports listeners' modules

        def timed(call) -> float:
            started = time.perf_counter()
            response = call()
            assert response.status_code == 200, response.status_code
            return time.perf_counter() - started

        acks, floor = [], []
        with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
            for _ in range(ROUNDS):
                floor += list(pool.map(lambda _: timed(lambda: bot.http.get(bot.url + "/healthz")), range(CONCURRENCY)))
                acks += list(pool.map(lambda _: timed(lambda: bot.command("show BENCH-1")[0]), range(CONCURRENCY)))
                time.sleep(1.0)  # let the answers after the acks drain before the next round
        fake.wait_for("response_url", count=ROUNDS * CONCURRENCY + 1, timeout=120)
        return {"ack_p50_ms": statistics.median(acks) * 1000, "ack_p99_ms": _p(acks, 0.99) * 1000,
                "floor_p50_ms": statistics.median(floor) * 1000, "floor_p99_ms": _p(floor, 0.99) * 1000}
    finally:
        server.terminate()
        server.wait(10)
        fake.stop()


def digest_build(tmp: Path, workflows: int = 1000) -> dict[str, float]:
    store = EmbeddedStore(tmp / "big")
    period = week_period("2026-W10")
    start = period.since
    drafts = []
    for n in range(workflows):
        key = f"WF-{n:04d}"
        at = start + timedelta(hours=n % 150)
        transitions = [Transition(state=WorkflowState.OPEN, at=at)]
        if n % 3:
            transitions += [Transition(state=WorkflowState.MERGED, at=at + timedelta(hours=5)),
                            Transition(state=WorkflowState.VERIFIED, at=at + timedelta(hours=8))]
        store.put_workflow(Workflow(key=key, team="core", created_at=at, transitions=tuple(transitions),
                                    state=transitions[-1].state), create_only=True)
        drafts += [
            EntryDraft(ts=at, workflow=key, line=Line.INFERENCE, kind="model_call", tokens=Tokens(input=50_000, output=8_000),
                       count=1, cost_usd=Decimal("0.27"), model="claude-sonnet-4-5"),
            EntryDraft(ts=at, workflow=key, line=Line.REVIEW, kind="time", minutes=Decimal(20), cost_usd=Decimal("50")),
            EntryDraft(ts=at, workflow=key, line=Line.CONTEXT_PREP, kind="time", minutes=Decimal(10), cost_usd=Decimal("20"))
            if n % 4 else EntryDraft(ts=at, workflow=key, line=Line.REWORK, kind="bounce", count=1, minutes=Decimal(30), cost_usd=Decimal("60")),
        ]
        drafts += [EntryDraft(ts=at - timedelta(days=7), workflow=key, line=Line.INFERENCE, kind="model_call", cost_usd=Decimal("0.1"))]
    store.append(drafts)

    def best(call) -> float:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            call()
            runs.append(time.perf_counter() - started)
        return min(runs)

    report = best(lambda: team_report(store, period, "core"))
    digest = best(lambda: weekly_digest(store, period, "core"))
    return {"workflows": workflows, "entries": len(drafts), "report_s": report, "digest_s": digest}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ack = ack_latency(Path(tmp))
        built = digest_build(Path(tmp))
    print(machine_line())
    print(f"/ledger show × {CONCURRENCY} simultaneous × {ROUNDS} rounds: ack p50 {ack['ack_p50_ms']:.0f} ms, "
          f"p99 {ack['ack_p99_ms']:.0f} ms (target ≤ 300) · GET /healthz floor p50 {ack['floor_p50_ms']:.0f} ms, "
          f"p99 {ack['floor_p99_ms']:.0f} ms · p99 ratio {ack['ack_p99_ms'] / ack['floor_p99_ms']:.1f}×")
    print(f"digest of {built['workflows']} workflows ({built['entries']} entries): {built['digest_s']:.3f} s (target ≤ 1 s) · "
          f"team report alone {built['report_s']:.3f} s · ratio {built['digest_s'] / built['report_s']:.2f}×")


if __name__ == "__main__":
    os.environ.setdefault("TZ", "UTC")
    main()
