"""How amounts read for people, the same on every surface (terminal, Markdown, Slack, editor)."""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def money(value: Decimal | float | None) -> str:
    """USD with cents; sub-cent amounts (a cheap model call) keep four decimals, never "$0.00"."""
    if value is None:
        return "—"
    value = Decimal(str(value))
    return f"${value:,.2f}" if abs(value) >= CENT or value == 0 else f"${value:,.4f}"


def pct(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{float(value):.0%}"


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} h"
