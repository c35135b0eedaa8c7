"""Context-prep modals and request messages. Ids here are the contract with the listeners."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ledger_core.models import SpecSignal

from .common import Block, input_block, MAX_OPTIONS, context, escape, money, option, plain, section

PREP_MODAL = "prep_modal"  # /ledger prep WF: minutes already spent
OPEN_MODAL = "prep_open_modal"  # from the message shortcut: an open request
CLOSE_MODAL = "prep_close_modal"  # closing an open request with the minutes it took
SHORTCUT = "record_prep_request"
CLOSE_ACTION = "prep_close"

NEEDS = {
    "requirements": "Requirements",
    "repo_state": "Repo state",
    "logs": "Logs",
    "designs": "Designs",
    "constraints": "Constraints",
    "acceptance_criteria": "Acceptance criteria",
    "institutional_knowledge": "Institutional knowledge",
}
SIGNALS = {
    SpecSignal.SPEC: "A clear spec",
    SpecSignal.CONSTRAINTS: "Real constraints",
    SpecSignal.INTERFACES: "Known interfaces",
    SpecSignal.CRITERIA: "Testable acceptance criteria",
    SpecSignal.VERIFICATION: "A narrow path to verification",
}


def _checkboxes(action: str, choices: dict[str, str], initial: list[str] | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "checkboxes", "action_id": action, "options": [option(t, v) for v, t in choices.items()]}
    chosen = [option(choices[v], v) for v in initial or [] if v in choices]
    if chosen:
        element["initial_options"] = chosen
    return element


def _minutes(label: str = "Minutes spent") -> Block:
    return input_block("minutes", label, {"type": "number_input", "action_id": "value", "is_decimal_allowed": True, "min_value": "0"})


def _role(roles: list[str]) -> Block:
    return input_block("role", "Responder's role (for the rate)", {
        "type": "static_select", "action_id": "value", "options": [option(r, r) for r in roles[:MAX_OPTIONS]],
    }, optional=True, hint="Leave empty to use each person's configured role.")


def _modal(callback: str, title: str, blocks: list[Block], metadata: dict[str, Any], submit: str = "Record") -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": callback, "title": plain(title), "submit": plain(submit), "close": plain("Cancel"),
        "private_metadata": json.dumps(metadata, separators=(",", ":")), "blocks": blocks,
    }


def prep_modal(workflow: str, roles: list[str], signals: frozenset[SpecSignal], metadata: dict[str, Any]) -> dict[str, Any]:
    return _modal(PREP_MODAL, "Context prep", [
        section(f"Context gathered for *{escape(workflow)}* goes on its `context_prep` line, priced by the responders' roles."),
        input_block("needed", "What context was needed", _checkboxes("value", NEEDS)),
        input_block("asked", "Who was asked", {"type": "multi_users_select", "action_id": "value"}),
        _minutes("Minutes spent (in total)"),
        _role(roles),
        input_block("signals", "The request had…", _checkboxes("value", {s.value: t for s, t in SIGNALS.items()}, [s.value for s in signals]),
               optional=True, hint="Spec-clarity signals of the workflow when agent work began."),
    ], metadata | {"workflow": workflow})


def open_request_modal(metadata: dict[str, Any], workflow: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 200}
    if workflow:
        element["initial_value"] = workflow
    return _modal(OPEN_MODAL, "Context-prep request", [
        section("Turns this message into an open context-prep request. Close it from the thread (button or :white_check_mark:)."),
        input_block("workflow", "Workflow key", element),
        input_block("needed", "What context is needed", _checkboxes("value", NEEDS), optional=True),
    ], metadata, submit="Open request")


def close_modal(metadata: dict[str, Any], roles: list[str], responder: str | None) -> dict[str, Any]:
    who: dict[str, Any] = {"type": "users_select", "action_id": "value"}
    if responder:
        who["initial_user"] = responder
    return _modal(CLOSE_MODAL, "Close request", [
        input_block("responder", "Who answered", who),
        _minutes("Minutes it took"),
        _role(roles),
    ], metadata, submit="Close")


def request_blocks(workflow: str, needed: list[str], asker: str | None, key: str) -> list[Block]:
    what = ", ".join(NEEDS.get(n, n) for n in needed) or "context"
    who = f" from <@{asker}>" if asker else ""
    return [
        section(f":mag: Open context-prep request{who} for *{escape(workflow)}*: {what}.", accessory={
            "type": "button", "action_id": CLOSE_ACTION, "value": key, "text": plain("Close with minutes"), "style": "primary",
        }),
        context("React with :white_check_mark: to close it with the time since it was opened, or use the button to say how long it took."),
    ]


def closed_blocks(workflow: str, minutes: Decimal, cost: Decimal, responder: str | None) -> list[Block]:
    who = f" by <@{responder}>" if responder else ""
    return [section(f":white_check_mark: Context-prep request for *{escape(workflow)}* closed{who}: "
                    f"{minutes.normalize():f} min, {money(cost)} on `context_prep`.")]


def recorded_blocks(workflow: str, minutes: Decimal, cost: Decimal, people: int) -> list[Block]:
    return [section(f":white_check_mark: Recorded {minutes.normalize():f} min of context prep on *{escape(workflow)}* "
                    f"({people} responder(s)): {money(cost)}.")]
