"""Reading a submitted modal's ``state.values``, validated once here (errors name the field)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledger_core.errors import InvalidInput
from ledger_core.ledger import parse_decimal

Values = dict[str, dict[str, dict[str, Any]]]
MAX_MINUTES = Decimal(60 * 24 * 7)


def _element(values: Values, block: str) -> dict[str, Any]:
    return (values.get(block) or {}).get("value") or {}


def text_of(values: Values, block: str) -> str:
    return _element(values, block).get("value") or ""


def selected(values: Values, block: str) -> str | None:
    chosen = _element(values, block).get("selected_option")
    return chosen["value"] if chosen else None


def selected_users(values: Values, block: str) -> list[str]:
    return list(_element(values, block).get("selected_users") or [])


def number_of(values: Values, block: str, what: str, limit: Decimal) -> tuple[Decimal, str | None]:
    """(value, problem): a problem is shown under the field and nothing is recorded."""
    raw = text_of(values, block).strip()
    if not raw:
        return Decimal(0), f"say how many {what}"
    try:
        value = parse_decimal(raw, what=what)
    except InvalidInput as exc:
        return Decimal(0), str(exc)
    if value > limit:
        return Decimal(0), f"{what} must be at most {limit} (got {raw})"
    return value, None


def minutes_of(values: Values) -> tuple[Decimal, str | None]:
    value, problem = number_of(values, "minutes", "minutes", MAX_MINUTES)
    if problem is None and value == 0:
        return value, "minutes must be more than 0"
    return value, problem
