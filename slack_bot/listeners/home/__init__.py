"""App Home: the user's open workflows, their pending regions and the team's week."""

from __future__ import annotations

from collections import Counter

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from ledger_core.metrics import current_week
from ledger_core.models import RegionState, WorkflowState
from ledger_core.report import team_report

from ...blocks.home import home_view
from ...deps import deps_of

OPEN = (WorkflowState.OPEN, WorkflowState.IN_REVIEW)


def _opened(event: dict, client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    deps = deps_of(context)
    user = event["user"]
    actor = deps.slack.actor_of(user)
    everything = deps.store.workflows()
    mine = [w for w in everything if w.owner in (actor, user) and w.state in OPEN]
    keys = {w.key for w in mine}
    pending: dict[str, list] = {}
    for region in deps.store.regions():
        if region.workflow in keys and region.state == RegionState.PENDING:
            pending.setdefault(region.workflow, []).append(region)
    teams = Counter(w.team for w in everything if w.owner in (actor, user) and w.team)
    team = teams.most_common(1)[0][0] if teams else deps.ledger.team
    week = team_report(deps.store, current_week(), team)
    client.views_publish(user_id=user, view=home_view(actor, mine, pending, week))


def register(app: App) -> None:
    app.event("app_home_opened")(_opened)
