"""Incident links: the "Link to workflow as incident" shortcut and the ``/ledger incident`` modal
record an escaped defect on the workflows (and regions) that caused it."""

from __future__ import annotations

import json
import re

from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ledger_core.errors import LedgerError
from ledger_core.ledger import record_incident, validation_message
from ledger_core.models import Incident

from ...blocks.common import error_blocks
from ...blocks.incident import MODAL, SHORTCUT, incident_modal, recorded_blocks
from ...commands import clean
from ...delivery import notify
from ...deps import Deps, deps_of
from ...forms import number_of, selected, selected_users, text_of

MAX_HOURS = 24 * 365


def _shortcut(ack: Ack, shortcut: dict, client: WebClient) -> None:
    ack()
    channel, message = shortcut["channel"]["id"], shortcut["message"]
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=message["ts"])["permalink"]
    except SlackApiError:
        link = None  # the modal still opens; the person can paste the link
    first_line = clean(message.get("text", "")).splitlines()[0] if message.get("text") else None
    metadata = {"channel": channel, "user": shortcut["user"]["id"]}
    client.views_open(trigger_id=shortcut["trigger_id"], view=incident_modal(metadata, link=link, title=first_line))


def _regions(deps: Deps, workflows: list[str], text: str) -> tuple[list[str], str | None]:
    """Region ids or file paths → region ids of the linked workflows."""
    wanted = [w for w in re.split(r"[\s,]+", text) if w]
    if not wanted:
        return [], None
    known = [r for key in workflows for r in deps.store.regions(workflow=key)]
    found: list[str] = []
    for item in wanted:
        matches = [r.id for r in known if item in (r.id, r.path)]
        if not matches:
            return [], f"{item!r} is neither a region id nor a file with agent-written regions in {', '.join(workflows)}"
        found += [m for m in matches if m not in found]
    return found, None


def _submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    deps = deps_of(context)
    values = view["state"]["values"]
    keys = list(dict.fromkeys(k for k in re.split(r"[\s,]+", text_of(values, "workflows")) if k))
    errors: dict[str, str] = {}
    unknown = [k for k in keys if deps.store.find_workflow(k) is None]
    if not keys or unknown:
        errors["workflows"] = f"unknown workflow {unknown[0]!r}" if unknown else "name at least one workflow"
    hours, problem = number_of(values, "hours", "remediation hours", MAX_HOURS)
    if problem:
        errors["hours"] = problem
    regions, problem = _regions(deps, keys, text_of(values, "regions")) if not errors else ([], None)
    if problem:
        errors["regions"] = problem
    if errors:
        ack(response_action="errors", errors=errors)
        return
    try:
        incident = Incident(
            workflows=tuple(keys), regions=tuple(regions), link=text_of(values, "link") or None, title=text_of(values, "title") or None,
            severity=selected(values, "severity"), remediation_hours=hours, customer_impact=selected(values, "impact"),
            people=tuple(deps.slack.actor_of(u) for u in selected_users(values, "people")), source="slack", source_ref=f"view:{view['id']}",
        )
    except ValidationError as exc:
        ack(response_action="errors", errors={"workflows": validation_message(exc, "incident")})
        return
    ack()
    meta = json.loads(view.get("private_metadata") or "{}")
    user = body["user"]["id"]
    try:
        stored = record_incident(deps.store, deps.ledger, incident)
    except LedgerError as exc:
        notify(client, user=user, channel=meta.get("channel"), blocks=error_blocks(str(exc)), text=str(exc))
        return
    notify(client, user=user, channel=meta.get("channel"), blocks=recorded_blocks(stored), text=f"incident linked to {', '.join(keys)}")


def register(app: App) -> None:
    app.shortcut(SHORTCUT)(_shortcut)
    app.view(MODAL)(_submitted)
