"""Token and cost usage of agent sessions by day, week, month or session — ccusage's shapes.

``daily`` has the JSON shape of ``ccusage claude daily --json`` (``daily[]`` with date, token
kinds, totalTokens, totalCost, modelsUsed, modelBreakdowns; ``totals``), so scripts written
for ccusage read it unchanged. The numbers come from the ledger's inference entries (the
importers' dedupe, and corrections netted), not from re-reading transcripts. Days are UTC
unless a timezone is given; weeks start on Sunday, as in ccusage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidInput
from .models import Entry, Line, Tokens
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
    __slots__ = ("tokens", "cost", "models", "first", "last")

    def __init__(self) -> None:
        self.tokens = Tokens()
        self.cost = Decimal(0)
        self.models: dict[str, list[Any]] = {}
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, entry: Entry) -> None:
        tokens = entry.tokens or Tokens()
        self.tokens = self.tokens + tokens
        self.cost += entry.cost_usd
        model = self.models.setdefault(entry.model or "unknown", [Tokens(), Decimal(0)])
        model[0] = model[0] + tokens
        model[1] += entry.cost_usd
        if entry.reverses is None:
            self.first = entry.ts if self.first is None or entry.ts < self.first else self.first
            self.last = entry.ts if self.last is None or entry.ts > self.last else self.last


def _counts(tokens: Tokens) -> dict[str, int]:
    return {
        "inputTokens": tokens.input,
        "outputTokens": tokens.output,
        "cacheCreationTokens": tokens.cache_write,
        "cacheReadTokens": tokens.cache_read,
    }


def _row(label: str, key: str, bucket: _Bucket) -> dict[str, Any]:
    breakdowns = [
        {"modelName": name, **_counts(tokens), "cost": cost}
        for name, (tokens, cost) in bucket.models.items()
        if tokens.total or cost
    ]
    breakdowns.sort(key=lambda b: (-b["cost"], b["modelName"]))
    return {
        label: key,
        **_counts(bucket.tokens),
        "totalTokens": bucket.tokens.total,
        "totalCost": bucket.cost,
        "modelsUsed": [b["modelName"] for b in breakdowns],
        "modelBreakdowns": breakdowns,
    }


def _key(period: Period, entry: Entry, zone: ZoneInfo) -> str:
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
    for entry in agent_calls(store.entries(), sources):
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
        if not bucket.tokens.total and not bucket.cost and not bucket.models:
            continue
        row = _row(_LABEL[period], key, bucket)
        if period == "session":
            row["workflow"] = sessions.get(key)
            row["firstActivity"] = bucket.first
            row["lastActivity"] = bucket.last
        rows.append(row)
    return {
        period if period != "session" else "sessions": rows,
        "totals": {**_counts(total.tokens), "totalTokens": total.tokens.total, "totalCost": total.cost},
    }
