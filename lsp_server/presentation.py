"""How a region reads in the editor: diagnostic messages, hover text, action titles (pure functions)."""

from __future__ import annotations

from decimal import Decimal

from ledger_core.decisions import ReworkReason
from ledger_core.models import Region, RegionState

STATE_TEXT = {
    RegionState.PENDING: "pending review",
    RegionState.ACCEPTED: "accepted",
    RegionState.REJECTED: "rejected",
    RegionState.REWORK: "sent back for rework",
    RegionState.SUPERSEDED: "superseded",
}

REASON_TEXT = {
    ReworkReason.WRONG_PROBLEM: "wrong problem",
    ReworkReason.VIOLATES_INVARIANT: "violates invariant",
    ReworkReason.MISSING_CONTEXT: "missing context",
    ReworkReason.STYLE: "style",
    ReworkReason.TESTS_INSUFFICIENT: "tests insufficient",
    ReworkReason.OTHER: "other",
}


def tokens_text(tokens: int) -> str:
    if tokens < 1000:
        return f"{tokens} tokens"
    if tokens < 1_000_000:
        return f"{tokens / 1000:.1f}k tokens".replace(".0k", "k")
    return f"{tokens / 1_000_000:.1f}M tokens".replace(".0M", "M")


def money_text(usd: Decimal) -> str:
    if usd and abs(usd) < Decimal("0.01"):
        return f"${usd:.4f}"
    return f"${usd:,.2f}"


def diagnostic_message(region: Region, modified: int = 0) -> str:
    parts = ["agent edit", region.model or region.agent, tokens_text(region.tokens), money_text(region.cost_usd), STATE_TEXT[region.state]]
    if modified:
        parts.append(f"{modified} line{'s' if modified != 1 else ''} changed by you")
    if region.attrs.get("policy_exception"):  # data boundaries (ledger_core/policy.py)
        parts.append(f"outside policy: {region.attrs['policy_exception']}")
    return " · ".join(parts)


def hover_markdown(region: Region, *, modified: int, store_text: bool, original_known: bool) -> str:
    when = region.created_at.strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("agent", region.agent),
        ("model", region.model or "unknown"),
        ("session", f"`{region.session}`" if region.session else "unknown"),
        ("written", when),
        ("cost share", f"{tokens_text(region.tokens)} · {money_text(region.cost_usd)}"),
        ("workflow", f"`{region.workflow}`"),
        ("state", STATE_TEXT[region.state] + (f" by {region.decided_by}" if region.decided_by else "")),
    ]
    if region.reason:
        rows.append(("reason", region.reason.replace("_", " ")))
    if modified:
        rows.append(("changed by you", f"{modified} line{'s' if modified != 1 else ''}"))
    if region.state == RegionState.PENDING:
        rows.append(("reject restores", "the original text" if original_known else "nothing (original not cached on this machine)"))
    summary = region.attrs.get("prompt_summary") if store_text else None
    lines = [f"**opledger** · agent edit, lines {region.start_line + 1}–{region.end_line + 1} as written", ""]
    lines += [f"- {name}: {value}" for name, value in rows]
    if summary:
        lines += ["", f"> {summary}"]
    return "\n".join(lines)


def rework_title(reason: ReworkReason) -> str:
    return f"Send back for rework… {REASON_TEXT[reason]}"
