"""The team report over a PostgreSQL ledger, from the daily rollups the database keeps.

A million entries do not fit through Python in two seconds, but every metric only sums
entries by (day, workflow, line, kind, session, unpriced, reversal) — the key of the
``entry_rollups`` table, which each append updates in its own transaction. So the report reads
one ``Rollup`` row per key and day and ``report.build_report`` runs unchanged on those rows.

Rollups are exact for days entirely inside or outside the period. A period bounded at a
moment other than midnight UTC splits at most two days; those are summed from the entries
themselves, grouped additionally by which side of each bound they fall, and each such group
is dated by its earliest entry, for which ``Period.contains`` answers as for every member.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from ..metrics import Period
from ..models import Line, Tokens
from ..report import TeamReport, build_report
from ..rollup import Rollup

if TYPE_CHECKING:
    from .postgres import PostgresStore

_SUMS = "cost_usd, minutes, count, occurrences, weight, tok_input, tok_output, tok_cw5m, tok_cw1h, tok_read"

_WHOLE_DAYS = f"""
SELECT day, workflow, line, kind, session, unpriced, reversal, {_SUMS}
FROM entry_rollups
WHERE (%(keys)s::text[] IS NULL OR workflow = ANY(%(keys)s::text[])) AND NOT day = ANY(%(split)s::date[])
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
            for row in cur.execute(_WHOLE_DAYS, {"keys": keys, "split": split}):
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


def summarised_report(store: PostgresStore, period: Period, team: str | None = None) -> TeamReport:
    workflows = store.workflows()
    keys = [w.key for w in workflows if w.team == team] if team is not None else None
    regions = store.regions() if keys is None else [r for r in store.regions() if r.workflow in set(keys)]
    return build_report(rollups(store, period, keys), workflows, regions, period, team)
