"""The incident modal (escaped defects) and its confirmation."""

from __future__ import annotations

import json
from typing import Any

from ledger_core.models import Incident

from .common import Block, input_block, context, escape, money, option, plain, section

MODAL = "incident_modal"
SHORTCUT = "link_incident"
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
IMPACTS = ("none", "low", "medium", "high")


def _text(initial: str | None = None, *, multiline: bool = False, max_length: int = 500) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    return element


def _select(choices: tuple[str, ...], initial: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": [option(c, c) for c in choices]}
    if initial:
        element["initial_option"] = option(initial, initial)
    return element


def incident_modal(metadata: dict[str, Any], *, workflows: str | None = None, link: str | None = None, title: str | None = None) -> dict[str, Any]:
    link_element: dict[str, Any] = {"type": "url_text_input", "action_id": "value"}
    if link:
        link_element["initial_value"] = link
    blocks = [
        section("Records an escaped defect on the `escaped_defects` line of each linked workflow."),
        input_block("workflows", "Workflows that caused it", _text(workflows, max_length=1000), hint="Keys, separated by commas or spaces."),
        input_block("regions", "Files or region ids (if known)", _text(max_length=2000), optional=True),
        input_block("title", "Title", _text(title, max_length=150), optional=True),
        input_block("severity", "Severity", _select(SEVERITIES, "sev3")),
        input_block("hours", "Remediation hours", {"type": "number_input", "action_id": "value", "is_decimal_allowed": True, "min_value": "0"}),
        input_block("people", "People involved", {"type": "multi_users_select", "action_id": "value"}, optional=True),
        input_block("impact", "Customer impact", _select(IMPACTS, "none")),
        input_block("link", "Link", link_element, optional=True),
    ]
    return {
        "type": "modal", "callback_id": MODAL, "title": plain("Link incident"), "submit": plain("Record"), "close": plain("Cancel"),
        "private_metadata": json.dumps(metadata, separators=(",", ":")), "blocks": blocks,
    }


def recorded_blocks(incident: Incident, cost: float | None = None) -> list[Block]:
    keys = ", ".join(f"*{escape(k)}*" for k in incident.workflows)
    label = escape(incident.title or incident.link or incident.id)
    blocks = [section(f":rotating_light: Escaped defect recorded on {keys}: {label} · {incident.severity} · "
                      f"{incident.remediation_hours.normalize():f} h remediation" + (f" ({money(cost)})" if cost is not None else ""))]
    if incident.regions:
        blocks.append(context(f"{len(incident.regions)} region(s) linked"))
    return blocks
