"""A deterministic synthetic ledger of any size, in memory, for report benchmarks.

Shaped like real work: every workflow has agent sessions (inference with tokens), context
prep, review, some bounces and rejected diffs, evaluation, a little governance and docs;
most are merged and verified, some abandoned; a few have incidents after the merge. Spec
clarity is drawn per workflow and makes rework likelier when it is low.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ledger_core.models import (
    GENESIS_HASH,
    Entry,
    Evidence,
    Line,
    Region,
    RegionState,
    SpecClarity,
    SpecSignal,
    Tokens,
    Transition,
    Workflow,
    WorkflowState,
)

START = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday
SIGNALS = list(SpecSignal)
MODELS = ("claude-sonnet-4-5", "gpt-5-codex", "claude-opus-4-1")


def ledger(workflows: int = 1000, entries: int = 100_000, weeks: int = 12, seed: int = 7):
    """``(entries, workflows, regions)`` with exactly ``entries`` entries over ``weeks`` weeks."""
    rnd = random.Random(seed)
    per = entries // workflows
    extra = entries - per * workflows
    out_entries: list[Entry] = []
    out_workflows: list[Workflow] = []
    out_regions: list[Region] = []
    span = timedelta(weeks=weeks)
    for n in range(workflows):
        key = f"WF-{n + 1:05d}"
        clarity = rnd.randint(0, 5)
        started = START + span * (n / workflows) * 0.9
        duration = timedelta(hours=rnd.uniform(4, 120) * (1.6 - clarity / 5))
        merged = started + duration * 0.8
        verified = started + duration
        fate = rnd.random()
        transitions = [Transition(state=WorkflowState.OPEN, at=started), Transition(state=WorkflowState.IN_REVIEW, at=started + duration * 0.5)]
        state = WorkflowState.IN_REVIEW
        if fate < 0.08:
            state = WorkflowState.ABANDONED
            transitions.append(Transition(state=state, at=started + duration * 0.6))
        elif fate < 0.92:
            transitions.append(Transition(state=WorkflowState.MERGED, at=merged))
            state = WorkflowState.MERGED
            if fate < 0.85:
                transitions.append(Transition(state=WorkflowState.VERIFIED, at=verified))
                state = WorkflowState.VERIFIED
        out_workflows.append(
            Workflow.model_construct(
                key=key, title=f"Synthetic change {n + 1}", team=("payments", "search", "platform")[n % 3], owner=f"dev{n % 17}",
                value_usd=Decimal(rnd.choice((400, 800, 1500, 3000))), state=state, created_at=started,
                transitions=tuple(transitions), evidence=Evidence(kind="ci", ref=f"ci-{n}") if state == WorkflowState.VERIFIED else None,
                spec=SpecClarity(signals=frozenset(rnd.sample(SIGNALS, clarity)), set_at=started), review_required=False,
                repo=None, branch=None, attrs={},
            )
        )
        count = per + (1 if n < extra else 0)
        bounce_odds = 0.02 + 0.05 * (5 - clarity)
        for i in range(count):
            ts = started + duration * (i / max(count, 1))
            roll = rnd.random()
            tokens = None
            minutes = Decimal(0)
            cnt = 0
            cost = Decimal(0)
            model = None
            kind = "time"
            if i == 0 or roll < 0.6:
                line, kind, model = Line.INFERENCE, "model_call", rnd.choice(MODELS)
                tokens = Tokens(input=rnd.randint(500, 20_000), output=rnd.randint(100, 4000), cache_read=rnd.randint(0, 400_000), cache_write_5m=rnd.randint(0, 20_000))
                cnt = 1
                cost = Decimal(tokens.input * 3 + tokens.output * 15 + tokens.cache_read * 0.3 + tokens.cache_write_5m * 3.75) / Decimal(1_000_000)
            elif roll < 0.68:
                line, minutes = Line.CONTEXT_PREP, Decimal(rnd.randint(2, 12))
            elif roll < 0.78:
                line, minutes = Line.REVIEW, Decimal(rnd.randint(1, 10))
            elif roll < 0.78 + bounce_odds:
                line, kind, cnt, minutes = Line.REWORK, rnd.choice(("bounce", "rejected_diff", "retry")), 1, Decimal(rnd.randint(2, 15))
            elif roll < 0.93:
                line, kind, cnt, minutes = Line.EVALUATION, "ci_run", 1, Decimal(rnd.randint(1, 10))
            elif roll < 0.97:
                line, minutes = Line.GOVERNANCE, Decimal(rnd.randint(1, 5))
            else:
                line, kind, minutes = Line.INSTITUTIONAL_MEMORY, "docs", Decimal(rnd.randint(2, 10))
            if minutes:
                cost = minutes * Decimal("1.5")
            out_entries.append(_entry(len(out_entries), ts, key, line, kind, tokens, minutes, cnt, cost, model))
        if state in (WorkflowState.MERGED, WorkflowState.VERIFIED) and rnd.random() < 0.06:
            out_entries[-1] = _entry(len(out_entries) - 1, merged + timedelta(days=2), key, Line.ESCAPED_DEFECTS, "incident", None, Decimal(180), 1, Decimal(270), None)
        for r in range(rnd.randint(1, 4)):
            decided = rnd.random()
            state_r = RegionState.ACCEPTED if decided < 0.7 else RegionState.REWORK if decided < 0.85 else RegionState.REJECTED
            out_regions.append(
                Region.model_construct(
                    id=f"{key}-r{r}", workflow=key, path=f"src/mod{r}.py", start_line=10 * r + 1, end_line=10 * r + rnd.randint(3, 40),
                    content_hash="0" * 64, line_hashes=(), original_text=None, text=None, agent="claude-code", model=MODELS[0], session=f"s-{key}",
                    tool_use_id=None, tokens=rnd.randint(500, 5000), cost_usd=Decimal("0.05"), created_at=started + duration * 0.3,
                    state=state_r, decided_at=started + duration * 0.45, decided_by="reviewer", reason=None, source="hook", attrs={},
                )
            )
    return out_entries, out_workflows, out_regions


def _entry(seq, ts, key, line, kind, tokens, minutes, count, cost, model) -> Entry:
    return Entry.model_construct(
        ts=ts, workflow=key, line=line, kind=kind, tokens=tokens, minutes=minutes, count=count, cost_usd=cost, unpriced=False,
        model=model, price_version=None, actor="dev", role="senior", source="synthetic", source_ref=f"syn:{seq}", session=f"s-{key}" if model else None,
        region=None, reverses=None, note=None, attrs={}, id=f"e{seq:07d}", seq=seq, recorded_at=ts, prev_hash=GENESIS_HASH, hash=GENESIS_HASH,
    )
