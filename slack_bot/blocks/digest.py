"""The weekly digest for managers as a Slack message."""

from __future__ import annotations

from ledger_core.digest import LINE_NAMES, Digest

from .common import Block, context, divider, escape, fields, header, hours, limit_blocks, money, pct, section


def change_phrase(digest: Digest, emoji: bool = True) -> str:
    if digest.cost_change is None:
        return f"no verified outcome to compare with in {digest.previous_period.label}"
    arrow = ":arrow_up: " if digest.cost_change > 0 else ":arrow_down: " if digest.cost_change < 0 else ""
    change = f"{float(digest.cost_change):+.0%} on {digest.previous_period.label} ({money(digest.previous_cost_per_verified_outcome)})"
    return (arrow if emoji else "") + change


def invoice_sentence(digest: Digest) -> str:
    if not digest.total_cost_usd:
        return "No cost was recorded."
    return (f"The model bill shows {pct(digest.invoice_share)} of what this work cost: "
            f"{money(digest.invoice_usd)} invoice vs. {money(digest.total_cost_usd)} full cost.")


def digest_text(digest: Digest) -> str:
    """The plain-text version: notification fallback and terminal output."""
    team = f" · {digest.team}" if digest.team else ""
    lines = [
        f"Weekly digest {digest.period.label}{team}",
        f"Cost per verified outcome: {money(digest.cost_per_verified_outcome)} ({digest.verified_outcomes} verified; "
        f"{change_phrase(digest, emoji=False)})",
        invoice_sentence(digest),
        f"Acceptance {pct(digest.acceptance_rate)} · rework {pct(digest.rework_rate)} · defect escape {pct(digest.defect_escape_rate)} · "
        f"cycle time {hours(digest.cycle_time_median_hours)} median / {hours(digest.cycle_time_p90_hours)} p90",
    ]
    for w in digest.costliest:
        where = ", ".join(f"{LINE_NAMES[line]} {money(cost)}" for line, cost in w.lines[:3])
        lines.append(f"  {w.key} ({w.state.value}) {money(w.total_cost_usd)}: {where}")
    lines.append(f"Advice: {digest.advice}")
    return "\n".join(lines)


def digest_blocks(digest: Digest) -> list[Block]:
    team = f" · {digest.team}" if digest.team else ""
    blocks = [
        header(f"Weekly digest {digest.period.label}{team}"),
        section(f"*Cost per verified outcome: {money(digest.cost_per_verified_outcome)}* "
                f"({digest.verified_outcomes} verified outcome(s)) · {change_phrase(digest)}"),
        section(invoice_sentence(digest)),
    ]
    blocks += fields([
        ("acceptance", pct(digest.acceptance_rate)),
        ("rework rate", pct(digest.rework_rate)),
        ("defect escape rate", pct(digest.defect_escape_rate)),
        ("cycle time median / p90", f"{hours(digest.cycle_time_median_hours)} / {hours(digest.cycle_time_p90_hours)}"),
    ])
    if digest.costliest:
        blocks.append(divider())
        rows = []
        for w in digest.costliest:
            where = ", ".join(f"{LINE_NAMES[line]} {money(cost)}" for line, cost in w.lines[:4])
            flags = "".join([f" · {w.bounces} bounce(s)" if w.bounces else "", f" · {w.incidents} incident(s)" if w.incidents else ""])
            rows.append(f"• `{escape(w.key)}` {w.state.value} · *{money(w.total_cost_usd)}*{flags}\n    {where}")
        blocks.append(section("*Three costliest workflows and where their cost went*\n" + "\n".join(rows)))
    blocks += [divider(), section(f":bulb: {escape(digest.advice)}")]
    blocks.append(context(f"{digest.workflows_merged} workflow(s) merged · rates as defined in the opledger design · "
                          f"`opledger digest --week {digest.period.label}` for the same numbers in a terminal"))
    return limit_blocks(blocks)
