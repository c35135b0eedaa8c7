"""The workflow summary ``opledger.showLedger`` returns: the eight lines, outcome metrics, regions."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from ledger_core.ledger import workflow_ledger
from ledger_core.store import Store

from .presentation import money_text


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def summary(store: Store, key: str) -> dict[str, Any]:
    view = workflow_ledger(store, key)
    states = Counter(r.state.value for r in view.regions)
    return _plain(
        {
            "workflow": view.workflow.key,
            "title": view.workflow.title,
            "state": view.workflow.state,
            "total_cost_usd": view.total_cost_usd,
            "lines": {line.value: totals.cost_usd for line, totals in view.lines.items()},
            "metrics": view.metrics.model_dump(),
            "regions": dict(states),
        }
    )


def one_line(data: dict[str, Any]) -> str:
    lines = data["lines"]
    regions = data["regions"]
    rate = data["metrics"].get("acceptance_rate")
    return (
        f"{data['workflow']} · {data['state']} · full cost {money_text(Decimal(data['total_cost_usd']))}"
        f" (model invoice {money_text(Decimal(lines.get('inference', '0')))})"
        f" · review {money_text(Decimal(lines.get('review', '0')))} · rework {money_text(Decimal(lines.get('rework', '0')))}"
        f" · regions {regions.get('pending', 0)} pending / {regions.get('accepted', 0)} accepted / "
        f"{regions.get('rejected', 0)} rejected / {regions.get('rework', 0)} rework"
        + (f" · acceptance {float(rate):.0%}" if rate is not None else "")
    )
