"""Daily rollups of entries: the sums reports need, kept beside the entries they summarise.

A report over 100,000 entries must not validate 100,000 models. Each row sums the entries of
one (UTC day, workflow, line, kind, session, model, unpriced, reversal) key. Rows expose the
same attributes the metrics read from an ``Entry`` (``ts``, ``workflow``, ``line``, ``kind``,
``cost_usd``, ``minutes``, ``count``, ``tokens``, ``session``, ``unpriced``, ``weight``,
``occurrences``), so every metric works on either. They are exact for periods that start and
end at midnight UTC (weeks, dates); other periods are computed from entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .models import Entry, Line, Tokens

_TOKEN_KINDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


@dataclass(frozen=True, slots=True)
class Rollup:
    ts: datetime
    workflow: str
    line: Line
    kind: str
    session: str | None
    model: str | None
    unpriced: bool
    reversal: bool
    cost_usd: Decimal
    minutes: Decimal
    count: int
    occurrences: int
    weight: int
    tokens: Tokens | None

    @property
    def reverses(self) -> str | None:
        return "rollup" if self.reversal else None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Rollup:
        tokens = doc.get("tokens")
        return cls(
            ts=datetime.fromisoformat(doc["day"]).replace(tzinfo=UTC),
            workflow=doc["workflow"],
            line=Line(doc["line"]),
            kind=doc["kind"],
            session=doc.get("session"),
            model=doc.get("model"),
            unpriced=doc["unpriced"],
            reversal=doc["reversal"],
            cost_usd=Decimal(doc["cost_usd"]),
            minutes=Decimal(doc["minutes"]),
            count=doc["count"],
            occurrences=doc["occurrences"],
            weight=doc["weight"],
            tokens=Tokens(**dict(zip(_TOKEN_KINDS, tokens, strict=True))) if tokens is not None else None,
        )


def key_of(doc: dict[str, Any]) -> str:
    """The rollup key of a stored entry document (JSON form)."""
    return "\x1f".join(
        (doc["ts"][:10], doc["workflow"], doc["line"], doc["kind"], doc.get("session") or "", doc.get("model") or "",
         "u" if doc.get("unpriced") else "", "r" if doc.get("reverses") else "")
    )


def add(rows: dict[str, dict[str, Any]], doc: dict[str, Any]) -> None:
    """Fold one stored entry document into ``rows`` (JSON-ready, keyed by ``key_of``)."""
    key = key_of(doc)
    reversal = bool(doc.get("reverses"))
    weight = -1 if reversal else 1
    row = rows.get(key)
    if row is None:
        row = rows[key] = {
            "day": doc["ts"][:10], "workflow": doc["workflow"], "line": doc["line"], "kind": doc["kind"],
            "session": doc.get("session"), "model": doc.get("model"), "unpriced": bool(doc.get("unpriced")),
            "reversal": reversal, "cost_usd": "0", "minutes": "0", "count": 0, "occurrences": 0, "weight": 0, "tokens": None,
        }
    row["cost_usd"] = str(Decimal(row["cost_usd"]) + Decimal(doc.get("cost_usd") or 0))
    row["minutes"] = str(Decimal(row["minutes"]) + Decimal(doc.get("minutes") or 0))
    count = int(doc.get("count") or 0)
    row["count"] += count
    row["occurrences"] += count or weight
    row["weight"] += weight
    tokens = doc.get("tokens")
    if tokens is not None:
        current = row["tokens"] or [0] * len(_TOKEN_KINDS)
        row["tokens"] = [c + int(tokens.get(k, 0)) for c, k in zip(current, _TOKEN_KINDS, strict=True)]


def build(docs: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for doc in docs:
        add(rows, doc)
    return rows


def from_entries(entries: Iterable[Entry]) -> list[Rollup]:
    """Rollups computed in memory, for stores that do not keep them."""
    return [Rollup.from_doc(row) for row in build(e.model_dump(mode="json") for e in entries).values()]


def is_day_aligned(moment: datetime | None) -> bool:
    return moment is None or (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)
