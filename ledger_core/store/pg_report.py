"""The team report over a PostgreSQL ledger, from the daily rollups the database keeps.

A million entries do not fit through Python in two seconds, but every metric only sums
entries by (day, workflow, line, kind, session, unpriced, reversal) — the key of the
``entry_rollups`` table, which each append updates in its own transaction. So the report reads
one ``Rollup`` row per key and day and ``report.build_report`` runs unchanged on those rows.

Rollups are exact for days entirely inside or outside the period (and so are their sums per
ISO week and side of the period, which is what is read). A period bounded at a
moment other than midnight UTC splits at most two days; those are summed from the entries
themselves, grouped additionally by which side of each bound they fall, and each such group
is dated by its earliest entry, for which ``Period.contains`` answers as for every member.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from pydantic import TypeAdapter

from ..metrics import Period
from ..models import Line, Tokens, Workflow
from ..report import TeamReport, build_report
from ..rollup import Rollup

if TYPE_CHECKING:
    from .postgres import PostgresStore

_SUMS = "cost_usd, minutes, count, occurrences, weight, tok_input, tok_output, tok_cw5m, tok_cw1h, tok_read"

# Whole days are summed further, per ISO week and per side of each bound of the period: that
# is as fine as any metric looks (trend points are weeks), and several times fewer rows.
_WHOLE_DAYS = """
SELECT min(day), workflow, line, kind, session, unpriced, reversal,
       sum(cost_usd), sum(minutes), sum(count), sum(occurrences), sum(weight),
       sum(tok_input), sum(tok_output), sum(tok_cw5m), sum(tok_cw1h), sum(tok_read)
FROM entry_rollups
WHERE (%(keys)s::text[] IS NULL OR workflow = ANY(%(keys)s::text[])) AND NOT day = ANY(%(split)s::date[])
GROUP BY date_trunc('week', day), workflow, line, kind, session, unpriced, reversal,
         day >= coalesce(%(since)s::date, '-infinity'::date), day < coalesce(%(until)s::date, 'infinity'::date)
"""

_SPLIT_DAY = """
SELECT min(ts), workflow, line, kind, coalesce(session, ''), unpriced, reversal,
       sum(cost_usd), sum(minutes), sum(count),
       sum(CASE WHEN count <> 0 THEN count WHEN reversal THEN -1 ELSE 1 END),
       sum(CASE WHEN reversal THEN -1 ELSE 1 END),
       sum(tok_input), sum(tok_output), sum(tok_cw5m), sum(tok_cw1h), sum(tok_read)
FROM entries
WHERE ts >= %(start)s AND ts < %(end)s AND (%(keys)s::text[] IS NULL OR workflow = ANY(%(keys)s::text[]))
GROUP BY workflow, line, kind, coalesce(session, ''), unpriced, reversal,
         ts >= %(since)s::timestamptz, ts < %(until)s::timestamptz
"""

_LINES = {line.value: line for line in Line}


class _Workflow(Workflow):
    """A workflow whose moments are found once: a report asks each workflow for them once per
    trend week, and with thousands of workflows that search dominated the report."""

    @cached_property
    def started_at(self) -> datetime:  # type: ignore[override]
        return Workflow.started_at.fget(self)  # type: ignore[attr-defined]

    @cached_property
    def merged_at(self) -> datetime | None:  # type: ignore[override]
        return Workflow.merged_at.fget(self)  # type: ignore[attr-defined]

    @cached_property
    def verified_at(self) -> datetime | None:  # type: ignore[override]
        return Workflow.verified_at.fget(self)  # type: ignore[attr-defined]


_WORKFLOWS = TypeAdapter(list[_Workflow])


def _split_days(period: Period) -> list[date]:
    """UTC days that a bound of the period cuts in two."""
    days = []
    for bound in (period.since, period.until):
        if bound is None:
            continue
        utc = bound.astimezone(UTC)
        if utc.timetz().replace(tzinfo=None) != time(0):
            days.append(utc.date())
    return sorted(set(days))


def _day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(UTC).date()


def _rollup(ts: datetime, row: tuple) -> Rollup:
    _, workflow, line, kind, session, unpriced, reversal, cost, minutes, count, occurrences, weight, *tok = row
    return Rollup(
        ts=ts, workflow=workflow, line=_LINES[line], kind=kind, session=session or None, model=None,
        unpriced=unpriced, reversal=reversal, cost_usd=cost, minutes=minutes, count=int(count),
        occurrences=int(occurrences), weight=int(weight),
        tokens=Tokens.model_construct(input=int(tok[0]), output=int(tok[1]), cache_write_5m=int(tok[2]),
                                      cache_write_1h=int(tok[3]), cache_read=int(tok[4])) if any(tok) else None,
    )


def rollups(store: PostgresStore, period: Period, keys: list[str] | None) -> list[Rollup]:
    """Rollup rows of the given workflows (all if ``keys`` is None), exact for ``period``."""
    split = _split_days(period)
    midnights: dict[date, datetime] = {}
    found = []
    with store._conn() as conn:
        with conn.cursor() as cur:
            bounds = {"since": _day(period.since), "until": _day(period.until)}
            for row in cur.execute(_WHOLE_DAYS, {"keys": keys, "split": split} | bounds):
                day = row[0]
                ts = midnights.get(day)
                if ts is None:
                    ts = midnights[day] = datetime.combine(day, time(0), UTC)
                found.append(_rollup(ts, row))
            for day in split:
                start = datetime.combine(day, time(0), UTC)
                params = {"start": start, "end": start + timedelta(days=1), "keys": keys,
                          "since": period.since or start, "until": period.until or start}
                found.extend(_rollup(row[0], row) for row in cur.execute(_SPLIT_DAY, params))
    return found


_PARSED: dict[str, _Workflow] = {}  # workflow document text -> model; documents are immutable values


def _workflows(store: PostgresStore) -> list[_Workflow]:
    """Every workflow; documents seen before are not parsed again (most reports in a row see
    the same thousands of workflows, and validating them cost more than the rest)."""
    with store._conn() as conn:
        docs = [row[0] for row in conn.execute("SELECT doc::text FROM workflows ORDER BY created_at, key")]
    new = [doc for doc in docs if doc not in _PARSED]
    if new:
        if len(_PARSED) + len(new) > 200_000:
            _PARSED.clear()
            new = docs
        _PARSED.update(zip(new, _WORKFLOWS.validate_json("[" + ",".join(new) + "]"), strict=True))
    return [_PARSED[doc] for doc in docs]


def summarised_report(store: PostgresStore, period: Period, team: str | None = None) -> TeamReport:
    workflows = _workflows(store)
    keys = [w.key for w in workflows if w.team == team] if team is not None else None
    regions = store.regions()
    if keys is not None:
        members = set(keys)
        regions = [r for r in regions if r.workflow in members]
    return build_report(rollups(store, period, keys), workflows, regions, period, team)
