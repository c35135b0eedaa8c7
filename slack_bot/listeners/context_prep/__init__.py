"""Context-prep requests: the ``/ledger prep`` modal, the message shortcut that opens a request,
and closing it (button or ✅ reaction). Every path lands on the ``context_prep`` line."""

from __future__ import annotations

import json
import math
from datetime import datetime
from decimal import Decimal

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from ledger_core import ledger
from ledger_core.errors import InvalidInput, LedgerError
from ledger_core.models import Line, utcnow

from ...blocks.common import error_blocks
from ...blocks.context_prep import (
    CLOSE_ACTION,
    CLOSE_MODAL,
    OPEN_MODAL,
    PREP_MODAL,
    SHORTCUT,
    close_modal,
    closed_blocks,
    open_request_modal,
    recorded_blocks,
    request_blocks,
)
from ...delivery import notify
from ...deps import Deps, deps_of
from ...forms import minutes_of, selected, selected_users, text_of

REQUESTS = "slack_prep_requests"
ALIASES = "slack_prep_aliases"
CHECKS = {"white_check_mark", "heavy_check_mark", "ballot_box_with_check"}


def _split(minutes: Decimal, people: int) -> list[Decimal]:
    """Minutes shared evenly, to the hundredth, the remainder on the last person (totals stay exact)."""
    share = (minutes / people).quantize(Decimal("0.01"))
    return [share] * (people - 1) + [minutes - share * (people - 1)]


def record_prep(deps: Deps, workflow: str, minutes: Decimal, responders: list[str], role: str | None, ref: str, attrs: dict) -> Decimal:
    cost = Decimal(0)
    people = responders or [None]
    for person, share in zip(people, _split(minutes, len(people)), strict=True):
        result = ledger.record(
            deps.store, deps.ledger, Line.CONTEXT_PREP, workflow, minutes=share, kind="context_request",
            actor=deps.slack.actor_of(person) if person else None, role=role, source="slack",
            source_ref=f"{ref}:{person or '-'}", attrs=attrs,
        )
        cost += sum((e.cost_usd for e in result.stored), Decimal(0))
    return cost


# --------------------------------------------------------------- /ledger prep WF → modal
def _prep_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    deps = deps_of(context)
    meta = json.loads(view["private_metadata"])
    values = view["state"]["values"]
    minutes, problem = minutes_of(values)
    asked = selected_users(values, "asked")
    if problem:
        ack(response_action="errors", errors={"minutes": problem})
        return
    workflow = deps.store.find_workflow(meta["workflow"])
    if workflow is None:
        ack(response_action="errors", errors={"minutes": f"workflow {meta['workflow']} no longer exists"})
        return
    ack()
    user = body["user"]["id"]
    needed = [o["value"] for o in values["needed"]["value"].get("selected_options") or []]
    signals = frozenset(ledger.parse_signals([o["value"] for o in values["signals"]["value"].get("selected_options") or []]))
    attrs = {"needed": needed, "asked": len(asked), "requested_by": deps.slack.actor_of(user)}
    try:
        cost = record_prep(deps, workflow.key, minutes, asked, selected(values, "role"), f"prep:{view['id']}", attrs)
        if signals != (workflow.spec.signals if workflow.spec else frozenset()):
            ledger.set_spec(deps.store, workflow.key, signals)
    except LedgerError as exc:
        notify(client, user=user, channel=meta.get("channel"), blocks=error_blocks(str(exc)), text=str(exc))
        return
    notify(client, user=user, channel=meta.get("channel"), blocks=recorded_blocks(workflow.key, minutes, cost, len(asked)),
           text=f"context prep recorded on {workflow.key}")


# --------------------------------------------------------------- shortcut → open request
def _shortcut(ack: Ack, shortcut: dict, client: WebClient) -> None:
    ack()
    message = shortcut["message"]
    metadata = {"channel": shortcut["channel"]["id"], "ts": message["ts"], "thread": message.get("thread_ts") or message["ts"],
                "asker": message.get("user")}
    client.views_open(trigger_id=shortcut["trigger_id"], view=open_request_modal(metadata))


def _opened(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    deps = deps_of(context)
    meta = json.loads(view["private_metadata"])
    values = view["state"]["values"]
    key = text_of(values, "workflow").strip()
    if deps.store.find_workflow(key) is None:
        ack(response_action="errors", errors={"workflow": f"unknown workflow {key!r}"})
        return
    ack()
    user = body["user"]["id"]
    request_key = f"{meta['channel']}:{meta['ts']}"
    needed = [o["value"] for o in values["needed"]["value"].get("selected_options") or []]
    request = {"workflow": key, "needed": needed, "asker": meta.get("asker"), "opened_by": user, "opened_at": utcnow().isoformat(),
               "channel": meta["channel"], "thread": meta["thread"]}
    if not deps.store.kv_claim(REQUESTS, request_key, request):
        notify(client, user=user, channel=meta["channel"], blocks=error_blocks("this message is already an open context-prep request"),
               text="already open")
        return
    posted = client.chat_postMessage(channel=meta["channel"], thread_ts=meta["thread"], text=f"context-prep request for {key}",
                                     blocks=request_blocks(key, needed, meta.get("asker"), request_key))
    deps.store.kv_set(REQUESTS, request_key, request | {"bot_ts": posted["ts"]})
    deps.store.kv_set(ALIASES, f"{meta['channel']}:{posted['ts']}", request_key)


# --------------------------------------------------------------- closing: button → modal, or ✅
def close_request(deps: Deps, client: WebClient, request_key: str, minutes: Decimal, responder: str, role: str | None, how: str) -> None:
    request = deps.store.kv_get(REQUESTS, request_key)
    if request is None:
        raise InvalidInput("no open context-prep request on this message")
    attrs = {"needed": request.get("needed", []), "requested_by": deps.slack.actor_of(request["asker"]) if request.get("asker") else None,
             "closed_by": how}
    result = ledger.record(
        deps.store, deps.ledger, Line.CONTEXT_PREP, request["workflow"], minutes=minutes, kind="context_request",
        actor=deps.slack.actor_of(responder), role=role, source="slack", source_ref=f"prep-request:{request_key}", attrs=attrs,
    )
    if not result.stored:
        raise InvalidInput("this context-prep request is already closed")
    cost = result.stored[0].cost_usd
    deps.store.kv_set(REQUESTS, request_key, request | {"closed_at": utcnow().isoformat(), "entry": result.stored[0].id})
    blocks = closed_blocks(request["workflow"], minutes, cost, responder)
    if request.get("bot_ts"):
        client.chat_update(channel=request["channel"], ts=request["bot_ts"], blocks=blocks, text=f"context-prep request for {request['workflow']} closed")


def _close_clicked(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    roles = sorted(deps_of(context).ledger.rates)
    metadata = {"key": action["value"], "channel": body.get("channel", {}).get("id")}
    client.views_open(trigger_id=body["trigger_id"], view=close_modal(metadata, roles, body["user"]["id"]))


def _close_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    values = view["state"]["values"]
    minutes, problem = minutes_of(values)
    if problem:
        ack(response_action="errors", errors={"minutes": problem})
        return
    ack()
    meta = json.loads(view["private_metadata"])
    user = body["user"]["id"]
    responder = values["responder"]["value"].get("selected_user") or user
    try:
        close_request(deps_of(context), client, meta["key"], minutes, responder, selected(values, "role"), "button")
    except LedgerError as exc:
        notify(client, user=user, channel=meta.get("channel"), blocks=error_blocks(str(exc)), text=str(exc))


def _reaction(event: dict, client: WebClient, context: BoltContext) -> None:
    item = event.get("item") or {}
    if event.get("reaction") not in CHECKS or item.get("type") != "message":
        return
    deps = deps_of(context)
    spot = f"{item['channel']}:{item['ts']}"
    key = spot if deps.store.kv_get(REQUESTS, spot) is not None else deps.store.kv_get(ALIASES, spot)
    request = deps.store.kv_get(REQUESTS, key) if key else None
    if request is None or request.get("closed_at"):
        return
    # A reaction carries no number: the time the request stayed open, capped, stands in for the effort.
    elapsed = (utcnow() - datetime.fromisoformat(request["opened_at"])).total_seconds() / 60
    minutes = Decimal(max(1, min(math.ceil(elapsed), deps.slack.prep_minutes_cap)))
    try:
        close_request(deps, client, key, minutes, event["user"], None, "reaction")
    except LedgerError:
        return  # closed by someone else meanwhile: the ledger holds it once


def register(app: App) -> None:
    app.view(PREP_MODAL)(_prep_submitted)
    app.shortcut(SHORTCUT)(_shortcut)
    app.view(OPEN_MODAL)(_opened)
    app.action(CLOSE_ACTION)(_close_clicked)
    app.view(CLOSE_MODAL)(_close_submitted)
    app.event("reaction_added")(_reaction)
