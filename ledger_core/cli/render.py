"""Output helpers: clean JSON for scripts, rich tables for people."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel
from rich.console import Console

from ..formatting import money, pct  # noqa: F401  (re-exported for the command modules)

console = Console()
err_console = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: Any) -> bytes:
    """Money and rates as JSON numbers (Decimal → float at the very edge), dates ISO 8601."""
    if isinstance(data, BaseModel):
        data = data.model_dump()
    return orjson.dumps(data, default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z)


def print_json(data: Any) -> None:
    sys.stdout.buffer.write(to_json(data) + b"\n")
    sys.stdout.flush()




def bar(fraction: float, width: int = 20) -> str:
    """A horizontal bar for a share in [0, 1], for terminals without charts."""
    fraction = max(0.0, min(1.0, fraction))
    full = int(fraction * width)
    partial = " ▏▎▍▌▋▊▉"[int((fraction * width - full) * 8)]
    return ("█" * full + (partial if full < width else "")).ljust(width)


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1
    return "".join(" " if v is None else SPARKS[int((v - low) / span * (len(SPARKS) - 1))] for v in values)
