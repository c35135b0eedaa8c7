"""Token and cost usage of agent sessions by day, week, month or session — ccusage's shapes.

``daily`` has the JSON shape of ``ccusage claude daily --json`` (``daily[]`` with date, token
kinds, totalTokens, totalCost, modelsUsed, modelBreakdowns; ``totals``), so scripts written
for ccusage read it unchanged. The numbers come from the ledger's inference entries (the
importers' dedupe, and corrections netted), not from re-reading transcripts. Days are UTC
unless a timezone is given; weeks start on Sunday, as in ccusage.

A UTC report by day, week or month of every agent reads the store's daily rollups when it
keeps them (``ledger_core/rollup.py``) instead of validating every entry: rollups carry no
source, so there an agent call is a ``model_call`` on the inference line with a session —
which the agent importers, and only they, write. Other reports read the entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidInput
from .models import Entry, Line
from .rollup import Rollup
from .store import Store

Period = Literal["daily", "weekly", "monthly", "session"]
AGENT_SOURCES = ("claude-code", "codex", "otel")
_LABEL = {"daily": "date", "weekly": "week", "monthly": "month", "session": "sessionId"}


def parse_timezone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown timezone {name!r} (use an IANA name such as UTC or Europe/Berlin)") from exc


def agent_calls(entries: Iterable[Entry], sources: Iterable[str] = AGENT_SOURCES) -> list[Entry]:
    """Model-call entries of agent importers, with the corrections that net some of them."""
    wanted = set(sources)
    calls = [e for e in entries if e.line == Line.INFERENCE and e.tokens is not None]
    kept = {e.id for e in calls if e.source in wanted}
    return [e for e in calls if e.id in kept or (e.reverses is not None and e.reverses in kept)]


class _Bucket:
    """Sums of one report row. Token counts are plain ints (input, output, cache write 5m,
    cache write 1h, cache read): a report adds up tens of thousands of calls."""

    __slots__ = ("cost", "first", "last", "models", "tokens")

    def __init__(self) -> None:
        self.tokens = [0, 0, 0, 0, 0]
        self.cost = Decimal(0)
        self.models: dict[str, list[Any]] = {}
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, entry: Entry | Rollup) -> None:
        tokens = entry.tokens
        counts = (tokens.input, tokens.output, tokens.cache_write_5m, tokens.cache_write_1h, tokens.cache_read) if tokens else (0, 0, 0, 0, 0)
        mine = self.tokens
        for i, count in enumerate(counts):
            mine[i] += count
        self.cost += entry.cost_usd
        model = self.models.get(entry.model or "unknown")
        if model is None:
            model = self.models[entry.model or "unknown"] = [[0, 0, 0, 0, 0], Decimal(0)]
        theirs = model[0]
        for i, count in enumerate(counts):
            theirs[i] += count
        model[1] += entry.cost_usd
        if entry.reverses is None:
            self.first = entry.ts if self.first is None or entry.ts < self.first else self.first
            self.last = entry.ts if self.last is None or entry.ts > self.last else self.last


def _counts(tokens: list[int]) -> dict[str, int]:
    return {
        "inputTokens": tokens[0],
        "outputTokens": tokens[1],
        "cacheCreationTokens": tokens[2] + tokens[3],
        "cacheReadTokens": tokens[4],
    }


def _row(label: str, key: str, bucket: _Bucket) -> dict[str, Any]:
    breakdowns = [
        {"modelName": name, **_counts(tokens), "cost": cost}
        for name, (tokens, cost) in bucket.models.items()
        if sum(tokens) or cost
    ]
    breakdowns.sort(key=lambda b: (-b["cost"], b["modelName"]))
    return {
        label: key,
        **_counts(bucket.tokens),
        "totalTokens": sum(bucket.tokens),
        "totalCost": bucket.cost,
        "modelsUsed": [b["modelName"] for b in breakdowns],
        "modelBreakdowns": breakdowns,
    }


def _key(period: Period, entry: Entry | Rollup, zone: ZoneInfo) -> str:
    if period == "session":
        return entry.session or "unknown"
    day = entry.ts.astimezone(zone).date()
    if period == "daily":
        return day.isoformat()
    if period == "monthly":
        return day.strftime("%Y-%m")
    return (day - timedelta(days=(day.weekday() + 1) % 7)).isoformat()  # weeks start on Sunday


def usage_report(
    store: Store,
    period: Period = "daily",
    *,
    since: date | None = None,
    until: date | None = None,
    timezone: str | None = None,
    sources: Iterable[str] = AGENT_SOURCES,
) -> dict[str, Any]:
    """The usage report as plain data (Decimal costs): ``{period: [...], "totals": {...}}``.

    ``since`` / ``until`` are inclusive local dates in ``timezone``.
    """
    zone = parse_timezone(timezone)
    if since and until and since > until:
        raise InvalidInput(f"--since {since} is after --until {until}")
    buckets: dict[str, _Bucket] = defaultdict(_Bucket)
    sessions: dict[str, str | None] = {}
    total = _Bucket()
    for entry in _calls(store, period, zone, tuple(sources)):
        day = entry.ts.astimezone(zone).date()
        if (since and day < since) or (until and day > until):
            continue
        key = _key(period, entry, zone)
        buckets[key].add(entry)
        total.add(entry)
        if period == "session":
            sessions.setdefault(key, entry.workflow)
    rows = []
    for key in sorted(buckets, key=lambda k: (buckets[k].first or datetime.max.replace(tzinfo=zone), k) if period == "session" else k):
        bucket = buckets[key]
        if not sum(bucket.tokens) and not bucket.cost and not bucket.models:
            continue
        row = _row(_LABEL[period], key, bucket)
        if period == "session":
            row["workflow"] = sessions.get(key)
            row["firstActivity"] = bucket.first
            row["lastActivity"] = bucket.last
        rows.append(row)
    return {
        period if period != "session" else "sessions": rows,
        "totals": {**_counts(total.tokens), "totalTokens": sum(total.tokens), "totalCost": total.cost},
    }


def _calls(store: Store, period: Period, zone: ZoneInfo, sources: tuple[str, ...]) -> Iterable[Entry | Rollup]:
    daily = getattr(store, "rollups", None)
    # Rollup rows are UTC days: exact for UTC days, weeks and months, not for sessions or other zones.
    if daily is not None and period != "session" and zone.key == "UTC" and set(sources) == set(AGENT_SOURCES):
        return [r for r in daily() if r.line == Line.INFERENCE and r.kind == "model_call" and r.session is not None and r.tokens is not None]
    return agent_calls(store.entries(), sources)
