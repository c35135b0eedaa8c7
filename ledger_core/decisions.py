"""Decisions on agent-written regions: accept, reject, send back for rework.

One rule for every surface (language server, editor clients, CLI): review minutes are the
time from the region first being shown to the decision, capped by ``review_minutes_cap``;
the decision and its cost become entries on ``review`` and, for rejections, rework and human
modification, on ``rework``. A region is decided once; deciding again is reported, not
recorded twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .config import Settings
from .errors import InvalidInput
from .ledger import human_cost
from .models import EntryDraft, Line, Region, RegionState, utcnow
from .store import Store


class Decision(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    REWORK = "rework"


class ReworkReason(StrEnum):
    WRONG_PROBLEM = "wrong_problem"
    VIOLATES_INVARIANT = "violates_invariant"
    MISSING_CONTEXT = "missing_context"
    STYLE = "style"
    TESTS_INSUFFICIENT = "tests_insufficient"
    OTHER = "other"


_STATE = {Decision.ACCEPT: RegionState.ACCEPTED, Decision.REJECT: RegionState.REJECTED, Decision.REWORK: RegionState.REWORK}


def mark_shown(store: Store, regions: list[Region], at: datetime | None = None) -> list[Region]:
    """Remember when each region was first shown to a person (the start of its review)."""
    moment = (at or utcnow()).isoformat()
    fresh = [r.model_copy(update={"attrs": r.attrs | {"first_shown_at": moment}}) for r in regions if "first_shown_at" not in r.attrs]
    store.put_regions(fresh)
    return fresh


def review_minutes(region: Region, settings: Settings, at: datetime) -> Decimal:
    shown = region.attrs.get("first_shown_at")
    if not shown:
        return Decimal(0)
    elapsed = Decimal(str(max((at - datetime.fromisoformat(shown)).total_seconds(), 0))) / 60
    return min(elapsed, settings.review_minutes_cap).quantize(Decimal("0.01"))


def decide(
    store: Store,
    settings: Settings,
    region_id: str,
    decision: Decision,
    *,
    actor: str | None = None,
    role: str | None = None,
    reason: ReworkReason | None = None,
    modified_lines: int = 0,
    minutes: Decimal | None = None,
    at: datetime | None = None,
    source: str = "editor",
) -> Region:
    moment = at or utcnow()
    region = store.get_region(region_id)
    if region.state != RegionState.PENDING:
        raise InvalidInput(f"region {region_id} is already {region.state.value}")
    if decision == Decision.REWORK and reason is None:
        reason = ReworkReason.OTHER
    spent = minutes if minutes is not None else review_minutes(region, settings, moment)
    role_name, cost = human_cost(settings, spent, role=role, actor=actor, line=Line.REVIEW)
    common = {"ts": moment, "workflow": region.workflow, "actor": actor, "role": role_name, "source": source, "region": region.id, "session": region.session}
    drafts = [
        EntryDraft(
            **common,
            line=Line.REVIEW,
            kind=f"region_{decision.value}",
            minutes=spent,
            count=1,
            cost_usd=cost,
            source_ref=f"decision:{region.id}:review",
            attrs={"path": region.path, "lines": region.lines, "decision": decision.value},
        )
    ]
    # Rework entries count the loop; the tokens it burned are already on the inference line,
    # so they ride along as attributes and add no second cost.
    wasted = {"tokens_wasted": region.tokens, "cost_share_usd": str(region.cost_usd)}
    if decision == Decision.REJECT:
        drafts.append(EntryDraft(**common, line=Line.REWORK, kind="rejected_diff", count=1, source_ref=f"decision:{region.id}:rework", attrs=wasted))
    elif decision == Decision.REWORK:
        drafts.append(
            EntryDraft(**common, line=Line.REWORK, kind="bounce", count=1, source_ref=f"decision:{region.id}:rework", attrs=wasted | {"reason": reason.value if reason else None})
        )
    elif modified_lines > 0:
        drafts.append(
            EntryDraft(**common, line=Line.REWORK, kind="human_modification", count=1, source_ref=f"decision:{region.id}:rework", attrs={"modified_lines": modified_lines})
        )
    decided = region.model_copy(
        update={
            "state": _STATE[decision],
            "decided_at": moment,
            "decided_by": actor,
            "reason": reason.value if reason else None,
            "attrs": region.attrs | ({"modified_lines": modified_lines} if modified_lines else {}),
        }
    )
    store.append(drafts)
    store.put_regions([decided])
    return decided
