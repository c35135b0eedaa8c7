"""The App Home tab: your open workflows, their pending regions, your team's week."""

from __future__ import annotations

from ledger_core.models import Region, Workflow
from ledger_core.report import TeamReport

from .common import MAX_VIEW_BLOCKS, Block, context, divider, escape, header, limit_blocks, money, pct, section

SHOWN = 15


def home_view(actor: str, workflows: list[Workflow], pending: dict[str, list[Region]], week: TeamReport) -> dict:
    blocks: list[Block] = [header("Your ledger")]
    if workflows:
        rows = []
        for wf in workflows[:SHOWN]:
            waiting = pending.get(wf.key, [])
            note = f" · {len(waiting)} pending region(s)" if waiting else ""
            rows.append(f"• `{escape(wf.key)}` {escape(wf.title or '')} · {wf.state.value}{note}")
        more = f"\n… and {len(workflows) - SHOWN} more" if len(workflows) > SHOWN else ""
        blocks.append(section(f"*Open workflows owned by {escape(actor)}*\n" + "\n".join(rows) + more))
    else:
        blocks.append(section(f"No open workflows owned by {escape(actor)}."))
    regions = [r for key in list(pending)[:SHOWN] for r in pending[key]]
    if regions:
        rows = [f"• `{escape(r.workflow)}` `{escape(r.path)}` lines {r.start_line}–{r.end_line} ({escape(r.agent)})" for r in regions[:SHOWN]]
        blocks.append(section("*Pending regions* — accept, reject or send back in your editor\n" + "\n".join(rows)))
    m = week.metrics
    team = f"team {week.team}" if week.team else "all teams"
    blocks += [
        divider(),
        header(f"This week · {week.period.label} · {team}"),
        section(f"*{m.verified_outcomes}* verified outcome(s) · cost per verified outcome *{money(m.cost_per_verified_outcome)}*\n"
                f"full cost {money(m.total_cost_usd)} · the model bill shows {pct(m.invoice_share)} of it\n"
                f"acceptance {pct(m.acceptance_rate)} · rework {pct(m.rework_rate)} · defect escape {pct(m.defect_escape_rate)}"),
        context("`/ledger help` for commands · `/ledger show WF` for one workflow's ledger"),
    ]
    return {"type": "home", "blocks": limit_blocks(blocks, MAX_VIEW_BLOCKS)}
