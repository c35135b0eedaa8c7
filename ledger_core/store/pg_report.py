"""The team report over a PostgreSQL ledger, summed by the database.

A million entries do not fit through Python in two seconds, but the metrics only ever *sum*
entries within a period or an ISO week, per workflow, line and kind. So the database groups
the entries by everything a metric distinguishes (workflow, line, kind, reversal, priced or
not, sign of ``count``, inference session, ISO week, inside the period or not) and each group
becomes one summary entry; ``report.build_report`` then runs unchanged on those. Every
``Period.contains`` test gives the same answer for a group's earliest moment as for each of
its members, which is why the result equals the report over the raw entries (a test checks).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..metrics import BOUNCE, INCIDENT, Period
from ..models import Entry, Line, Tokens
from ..report import TeamReport, build_report

if TYPE_CHECKING:
    from .postgres import PostgresStore

_GROUPED = """
SELECT workflow, line, kind, reversal, unpriced, CASE WHEN line = 'inference' THEN session END AS sess,
       min(ts), sum(cost_usd), sum(minutes), sum(count),
       sum(CASE WHEN count <> 0 THEN count WHEN reversal THEN -1 ELSE 1 END),
       sum(tok_input), sum(tok_output), sum(tok_cw5m), sum(tok_cw1h), sum(tok_read), count(*)
FROM entries
WHERE %(keys)s::text[] IS NULL OR workflow = ANY(%(keys)s::text[])
GROUP BY workflow, line, kind, reversal, unpriced, sign(count), sess,
         date_trunc('week', ts AT TIME ZONE 'UTC'), ts >= %(since)s::timestamptz, ts < %(until)s::timestamptz
"""

# Lines and kinds whose metric counts an entry as ``count or ±1`` (bounces, escaped defects).
_COUNTED = {(Line.REWORK, BOUNCE), (Line.ESCAPED_DEFECTS, INCIDENT)}


def _summary(row: tuple) -> list[Entry]:
    workflow, line, kind, reversal, unpriced, session, first, cost, minutes, count, counted, *tok, n = row
    line = Line(line)
    tokens = [int(t) for t in tok]
    common = {"workflow": workflow, "line": line, "reverses": "summary" if reversal else None, "unpriced": unpriced,
              "session": None, "tokens": None, "minutes": Decimal(0), "cost_usd": Decimal(0), "count": 0, "ts": first}
    entry = Entry.model_construct(
        **common | {
            "kind": kind,
            "session": session,
            "tokens": Tokens.model_construct(input=tokens[0], output=tokens[1], cache_write_5m=tokens[2],
                                             cache_write_1h=tokens[3], cache_read=tokens[4]) if any(tokens) else None,
            "minutes": minutes,
            "cost_usd": cost,
            # Within a group every count has the same sign, so a zero sum means all were zero.
            "count": int(counted) if (line, kind) in _COUNTED else int(count),
        }
    )
    if not unpriced or n == 1:
        return [entry]
    # The unpriced-entry metric counts entries, not amounts: one empty filler per extra entry.
    return [entry] + [Entry.model_construct(**common | {"kind": "unpriced-summary"}) for _ in range(n - 1)]


def summarised_report(store: PostgresStore, period: Period, team: str | None = None) -> TeamReport:
    workflows = store.workflows()
    keys = [w.key for w in workflows if w.team == team] if team is not None else None
    with store._conn() as conn:
        rows = conn.execute(_GROUPED, {"keys": keys, "since": period.since, "until": period.until}).fetchall()
    entries = [summary for row in rows for summary in _summary(row)]
    regions = store.regions() if keys is None else [r for r in store.regions() if r.workflow in set(keys)]
    return build_report(entries, workflows, regions, period, team)
