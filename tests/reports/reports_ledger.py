"""A small, realistic team ledger for the report tests, built the way people build it.

Workflows, lifecycle moves and facts on every ledger line go through the real ``opledger``
CLI; agent-written regions, their review decisions (``ledger_core.decisions.decide``, the one
review-time rule) and an escaped defect go through ledger_core's public API, because those
arrive from the editor and the incident channel rather than from a terminal.

Two ISO weeks of March 2026, four workflows of two teams:

* PAY-101 — clear spec (5/5), every line, two agent sessions, a bounce, verified by CI,
  then an incident after the merge;
* PAY-102 — vague spec (1/5), two bounces, merged but not verified;
* SRCH-7 — 3/5, verified by a reviewer;
* OPS-3 — abandoned after an agent session (its cost stays on the ledger).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ledger_core.config import load_settings
from ledger_core.decisions import Decision, ReworkReason, decide, mark_shown
from ledger_core.ledger import record_incident
from ledger_core.models import Incident, Region
from ledger_core.store import EmbeddedStore

OPLEDGER = str(Path(sys.executable).with_name("opledger"))


@dataclass
class Ledger:
    """The scripted ledger's environment, and a way to run the real CLI against it."""

    root: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([OPLEDGER, *args], check=False, capture_output=True, text=True, env=self.env, timeout=120)
        if check:
            assert result.returncode == 0, f"opledger {' '.join(args)} → {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args).stdout)


def isolated_env(root: Path) -> dict[str, str]:
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPLEDGER_", "CLAUDE_", "CODEX_"))}
    env.update(OPLEDGER_STORE=str(root / "store"), OPLEDGER_CONFIG=str(root / "config.toml"), HOME=str(home),
               COLUMNS="200", NO_COLOR="1", TZ="UTC")
    return env


AUDITED = "PAY-101"
TRICKY_TITLE = 'Retry failed card payments <b>"safely"</b> & idempotently'

CLI_SCRIPT: list[tuple[str, ...]] = [
    ("workflow", "start", "PAY-101", "--title", TRICKY_TITLE, "--team", "payments", "--owner", "ana", "--value", "2400",
     "--has", "spec,constraints,interfaces,criteria,verification", "--at", "2026-03-02T09:00:00Z"),
    ("workflow", "start", "PAY-102", "--title", "Refund webhook", "--team", "payments", "--owner", "ben", "--value", "900",
     "--has", "spec", "--at", "2026-03-03T10:00:00Z"),
    ("workflow", "start", "SRCH-7", "--title", "Fuzzy product search", "--team", "search", "--owner", "chi", "--value", "1500",
     "--has", "spec,criteria,verification", "--at", "2026-03-04T08:00:00Z"),
    ("workflow", "start", "OPS-3", "--title", "Rotate logging bucket", "--team", "payments", "--owner", "ana", "--at", "2026-03-05T08:00:00Z"),
    # PAY-101: every line of the ledger
    ("record", "context_prep", "PAY-101", "--minutes", "45", "--role", "senior", "--actor", "ana", "--at", "2026-03-02T09:30:00Z"),
    ("record", "inference", "PAY-101", "--tokens", "180000", "--output-tokens", "12000", "--model", "claude-sonnet-4-5", "--at", "2026-03-02T10:00:00Z"),
    ("record", "inference", "PAY-101", "--tokens", "240000", "--output-tokens", "18000", "--model", "claude-sonnet-4-5", "--at", "2026-03-02T11:00:00Z"),
    ("record", "rework", "PAY-101", "--kind", "bounce", "--count", "1", "--minutes", "20", "--role", "senior", "--actor", "dan", "--at", "2026-03-03T09:00:00Z"),
    ("record", "inference", "PAY-101", "--tokens", "90000", "--output-tokens", "6000", "--model", "gpt-5-codex", "--at", "2026-03-03T11:00:00Z"),
    ("record", "evaluation", "PAY-101", "--kind", "ci_run", "--count", "3", "--usd", "4.50", "--at", "2026-03-03T15:00:00Z"),
    ("record", "governance", "PAY-101", "--minutes", "15", "--role", "staff", "--actor", "eve", "--kind", "sensitive_path_review", "--at", "2026-03-03T16:00:00Z"),
    ("record", "institutional_memory", "PAY-101", "--minutes", "30", "--role", "mid", "--actor", "ana", "--kind", "docs", "--at", "2026-03-03T17:00:00Z"),
    ("workflow", "review", "PAY-101", "--at", "2026-03-03T12:00:00Z"),
    ("workflow", "merge", "PAY-101", "--at", "2026-03-04T10:00:00Z"),
    ("workflow", "verify", "PAY-101", "--at", "2026-03-04T18:00:00Z", "--evidence", "ci-run-981", "--evidence-kind", "ci",
     "--tests", "test_retry_backoff,test_idempotency_key"),
    # PAY-102: vague spec, two bounces, merged, not verified
    ("record", "inference", "PAY-102", "--tokens", "300000", "--output-tokens", "20000", "--model", "claude-sonnet-4-5", "--at", "2026-03-03T11:00:00Z"),
    ("record", "rework", "PAY-102", "--kind", "bounce", "--count", "2", "--minutes", "50", "--role", "senior", "--actor", "dan", "--at", "2026-03-05T09:00:00Z"),
    ("record", "review", "PAY-102", "--minutes", "40", "--role", "senior", "--actor", "dan", "--at", "2026-03-05T10:00:00Z"),
    ("workflow", "review", "PAY-102", "--at", "2026-03-05T08:00:00Z"),
    ("workflow", "merge", "PAY-102", "--at", "2026-03-09T12:00:00Z"),
    # SRCH-7: verified by a reviewer in the second week
    ("record", "context_prep", "SRCH-7", "--minutes", "25", "--role", "mid", "--actor", "chi", "--at", "2026-03-04T08:30:00Z"),
    ("record", "inference", "SRCH-7", "--tokens", "120000", "--output-tokens", "9000", "--model", "gpt-5-codex", "--at", "2026-03-09T09:00:00Z"),
    ("record", "review", "SRCH-7", "--minutes", "35", "--role", "staff", "--actor", "eve", "--at", "2026-03-10T09:00:00Z"),
    ("workflow", "review", "SRCH-7", "--at", "2026-03-09T15:00:00Z"),
    ("workflow", "merge", "SRCH-7", "--at", "2026-03-10T11:00:00Z"),
    ("workflow", "verify", "SRCH-7", "--at", "2026-03-11T09:00:00Z", "--evidence-kind", "reviewer", "--actor", "eve"),
    # OPS-3: abandoned
    ("record", "inference", "OPS-3", "--tokens", "60000", "--output-tokens", "3000", "--model", "claude-sonnet-4-5", "--at", "2026-03-05T09:00:00Z"),
    ("workflow", "abandon", "OPS-3", "--at", "2026-03-06T09:00:00Z"),
]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def build(run: Callable[..., object], store_path: Path, config_path: Path) -> None:
    """``run(*args)`` runs the real CLI against ``store_path`` (and must check the exit status)."""
    # One workflow's commands run in order; the four workflows run side by side (the store
    # takes several writers at once), which keeps the fixture fast on a busy machine. The first
    # command runs alone: it creates the store, and creating it is not safe to race.
    first, *rest = CLI_SCRIPT
    run(*first)
    by_workflow: dict[str, list[tuple[str, ...]]] = {}
    for args in rest:
        by_workflow.setdefault(args[2], []).append(args)
    with ThreadPoolExecutor(len(by_workflow)) as pool:
        list(pool.map(lambda script: [run(*args) for args in script], by_workflow.values()))
    store = EmbeddedStore(store_path)
    settings = load_settings(config_path)
    regions = [
        Region(id="rg-retry", workflow="PAY-101", path="src/payments/retry.py", start_line=10, end_line=48, content_hash="a" * 64,
               agent="claude-code", model="claude-sonnet-4-5", session="s-pay-1", tokens=14000, cost_usd=Decimal("0.31"), created_at=_at("2026-03-02T10:05:00")),
        Region(id="rg-keys", workflow="PAY-101", path="src/payments/idempotency.py", start_line=1, end_line=30, content_hash="b" * 64,
               agent="claude-code", model="claude-sonnet-4-5", session="s-pay-1", tokens=9000, cost_usd=Decimal("0.20"), created_at=_at("2026-03-02T10:20:00")),
        Region(id="rg-log", workflow="PAY-101", path="src/payments/log.py", start_line=5, end_line=12, content_hash="c" * 64,
               agent="codex", model="gpt-5-codex", session="s-pay-2", tokens=3000, cost_usd=Decimal("0.04"), created_at=_at("2026-03-03T11:05:00")),
        Region(id="rg-search", workflow="SRCH-7", path="search/fuzzy.py", start_line=1, end_line=60, content_hash="d" * 64,
               agent="codex", model="gpt-5-codex", session="s-srch", tokens=20000, cost_usd=Decimal("0.12"), created_at=_at("2026-03-09T09:10:00")),
    ]
    store.put_regions(regions)
    mark_shown(store, regions, at=_at("2026-03-03T13:00:00"))
    decide(store, settings, "rg-retry", Decision.ACCEPT, actor="dan", role="senior", minutes=Decimal(18), at=_at("2026-03-03T13:18:00"))
    decide(store, settings, "rg-keys", Decision.REWORK, actor="dan", role="senior", reason=ReworkReason.MISSING_CONTEXT,
           minutes=Decimal(12), at=_at("2026-03-03T13:30:00"))
    decide(store, settings, "rg-log", Decision.REJECT, actor="dan", role="senior", minutes=Decimal(4), at=_at("2026-03-03T13:40:00"))
    decide(store, settings, "rg-search", Decision.ACCEPT, actor="eve", role="staff", minutes=Decimal(22), at=_at("2026-03-10T09:40:00"))
    record_incident(
        store, settings,
        Incident(workflows=("PAY-101",), title="Double charge on retried payment", severity="sev2", remediation_hours=Decimal(3),
                 customer_impact="12 customers charged twice", opened_at=_at("2026-03-06T14:00:00")),
        role="senior",
    )
    store.close()


def usd(value: float | str | Decimal) -> str:
    """Money as every opledger renderer writes it."""
    from ledger_core.audit import money

    return money(Decimal(str(value)))


def pct(value: float | None) -> str:
    """A share as the HTML reports write it."""
    return "—" if value is None else ("<1%" if 0 < value < 0.005 else f"{value:.0%}")
