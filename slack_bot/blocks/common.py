"""Small block builders and Slack's limits, shared by every domain's builders."""

from __future__ import annotations

from typing import Any

from ledger_core.formatting import hours, money, pct  # noqa: F401  (used by every domain's builders)

from ..commands import USAGE

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_OPTIONS = 100
MAX_FALLBACK_TEXT = 3000

Block = dict[str, Any]


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"




def escape(text: str) -> str:
    """Text from users or the ledger, shown verbatim (Slack's three control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT), "emoji": True}}


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)}, **extra}


def fields(pairs: list[tuple[str, str]]) -> list[Block]:
    """Label/value pairs as sections of at most ten fields each."""
    items = [{"type": "mrkdwn", "text": clip(f"*{label}*\n{value}", MAX_FIELD_TEXT)} for label, value in pairs]
    return [{"type": "section", "fields": items[i : i + MAX_FIELDS]} for i in range(0, len(items), MAX_FIELDS)]


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, MAX_SECTION_TEXT)} for t in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def limit_blocks(blocks: list[Block], limit: int = MAX_MESSAGE_BLOCKS) -> list[Block]:
    if len(blocks) <= limit:
        return blocks
    return [*blocks[: limit - 1], context(f"… {len(blocks) - limit + 1} more blocks left out; see `opledger` for the full view.")]


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, 75), "emoji": True}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def help_blocks() -> list[Block]:
    lines = "\n".join(f"• `/ledger {usage}`" for usage in USAGE.values())
    return [
        section("*opledger* — what value survived review, and what did it really cost?"),
        section(lines),
        context("`show` answers only you unless you add `share`. Mention me with the same words to answer in a thread."),
    ]


def error_blocks(message: str) -> list[Block]:
    return [section(f":warning: {escape(message)}"), context("Nothing was recorded. `/ledger help` lists what I understand.")]


def input_block(block_id: str, label: str, element: dict[str, Any], optional: bool = False, hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element, "optional": optional}
    if hint:
        block["hint"] = plain(hint)
    return block
