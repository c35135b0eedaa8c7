"""Purges that keep the numbers: retention policies and ``forget`` for a person who leaves.

Both drop *private* fields only (actor, note, attrs of entries; text of regions) and never a
cost, a count, a quantity or an entry. Entries are sealed (``integrity.seal_doc``) so the
chain still verifies, and every purge is itself a ``governance`` entry (kind
``retention_purge`` or ``forget``, ``count`` = entries sealed) that each sealed entry names.
Purge records belong to the reserved workflow ``_ledger``, which no report lists.

Retention policy (config ``[retention.<line or default>]``, days kept per field)::

    [retention.default]
    note = 90        # free text of every line after 90 days
    attrs = 365
    text = 30        # code text of regions, when the team keeps it
    [retention.inference]
    note = 7

A field without a rule is kept. Age is measured from the fact's time (``ts``; for regions,
``created_at``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from .config import Settings
from .errors import ConfigError, InvalidInput, LedgerError
from .integrity import PLACEHOLDERS
from .models import PRIVATE_FIELDS, Entry, EntryDraft, Line, utcnow
from .store import Store

LEDGER_WORKFLOW = "_ledger"
REGION_FIELDS = ("text",)
FIELDS = (*PRIVATE_FIELDS, *REGION_FIELDS)


class Purge(BaseModel):
    """What a purge did (or, on a dry run, would do)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    entries: int
    fields: dict[str, int]
    regions: int = 0
    workflows: int = 0
    incidents: int = 0
    record: str | None = None  # id of the governance entry that recorded it
    pseudonym: str | None = None
    dry_run: bool = False


def retention_policy(settings: Settings) -> dict[str, dict[str, int]]:
    """The configured policy, checked: keys are ``default`` or a line, fields and days valid."""
    lines = {line.value for line in Line}
    for scope, rules in settings.retention.items():
        if scope != "default" and scope not in lines:
            raise ConfigError(f"retention.{scope}: not a ledger line; use default or one of: {', '.join(sorted(lines))}")
        for field, days in rules.items():
            if field not in FIELDS:
                raise ConfigError(f"retention.{scope}.{field}: only {', '.join(FIELDS)} can be dropped (costs and counts are always kept)")
            if days < 0:
                raise ConfigError(f"retention.{scope}.{field}: days must not be negative (got {days})")
    return settings.retention


def _days(policy: dict[str, dict[str, int]], line: str, field: str) -> int | None:
    rules = policy.get(line, {})
    return rules[field] if field in rules else policy.get("default", {}).get(field)


def _sealer(store: Store) -> Any:
    seal = getattr(store, "seal", None)
    if seal is None:
        raise LedgerError(f"the store at {store.location} cannot purge entries (no seal support in this backend)")
    return seal


def _holds_value(entry: Entry, field: str) -> bool:
    sealed = entry.sealed.fields if entry.sealed else {}
    return field not in sealed and getattr(entry, field) != PLACEHOLDERS[field]


def apply_retention(
    store: Store, settings: Settings, *, now: datetime | None = None, actor: str | None = None, dry_run: bool = False
) -> Purge:
    """Drop every private field older than its policy allows, and record the purge."""
    policy = retention_policy(settings)
    moment = now or utcnow()
    changes: dict[str, dict[str, Any]] = {}
    dropped: dict[str, int] = {}
    for entry in store.entries():
        for field in PRIVATE_FIELDS:
            days = _days(policy, entry.line.value, field)
            if days is not None and entry.ts < moment - timedelta(days=days) and _holds_value(entry, field):
                changes.setdefault(entry.id, {})[field] = PLACEHOLDERS[field]
                dropped[field] = dropped.get(field, 0) + 1
    regions = []
    text_days = policy.get("default", {}).get("text")
    if text_days is not None:
        cutoff = moment - timedelta(days=text_days)
        regions = [
            r.model_copy(update={"text": None, "original_text": None})
            for r in store.regions()
            if r.created_at < cutoff and (r.text is not None or r.original_text is not None)
        ]
        if regions:
            dropped["text"] = len(regions)
    if dry_run or (not changes and not regions):
        return Purge(kind="retention_purge", entries=len(changes), fields=dropped, regions=len(regions), dry_run=dry_run)
    record = EntryDraft(
        ts=moment, workflow=LEDGER_WORKFLOW, line=Line.GOVERNANCE, kind="retention_purge", count=len(changes),
        actor=actor, source="retention", attrs={"fields": dropped, "regions": len(regions), "policy": policy},
    )
    purge = _sealer(store)(record, changes)
    if regions:
        store.put_regions(regions)
    return Purge(kind="retention_purge", entries=len(changes), fields=dropped, regions=len(regions), record=purge.id)


def forget_actor(store: Store, person: str, *, actor: str | None = None, dry_run: bool = False) -> Purge:
    """Replace ``person`` everywhere by one random pseudonym and drop the notes of their entries.

    Costs, minutes and counts stay; so does the grouping of their work (under the pseudonym),
    which cannot be traced back to the name. Structured attrs are kept (reports read them).
    """
    if not person.strip():
        raise InvalidInput("--actor must name someone")
    pseudonym = f"former-{secrets.token_hex(4)}"
    changes: dict[str, dict[str, Any]] = {}
    for entry in store.entries():
        if entry.actor == person:
            changes[entry.id] = {"actor": pseudonym} | ({"note": None} if _holds_value(entry, "note") else {})
    regions = [r.model_copy(update={"decided_by": pseudonym}) for r in store.regions() if r.decided_by == person]
    workflows = []
    for workflow in store.workflows():
        evidence = workflow.evidence
        touched = workflow.owner == person or any(t.actor == person for t in workflow.transitions) or (
            evidence is not None and evidence.reviewer == person
        )
        if touched:
            workflows.append(workflow.model_copy(update={
                "owner": pseudonym if workflow.owner == person else workflow.owner,
                "transitions": tuple(t.model_copy(update={"actor": pseudonym}) if t.actor == person else t for t in workflow.transitions),
                "evidence": evidence.model_copy(update={"reviewer": pseudonym}) if evidence is not None and evidence.reviewer == person else evidence,
            }))
    incidents = [
        i.model_copy(update={"people": tuple(pseudonym if p == person else p for p in i.people)})
        for i in store.incidents() if person in i.people
    ]
    found = Purge(kind="forget", entries=len(changes), fields={"actor": len(changes)}, regions=len(regions),
                  workflows=len(workflows), incidents=len(incidents), pseudonym=pseudonym, dry_run=dry_run)
    if dry_run or not (changes or regions or workflows or incidents):
        return found
    record = EntryDraft(
        workflow=LEDGER_WORKFLOW, line=Line.GOVERNANCE, kind="forget", count=len(changes), actor=actor, source="forget",
        # The name itself must not be kept: the record says only what was done.
        attrs={"pseudonym": pseudonym, "regions": len(regions), "workflows": len(workflows), "incidents": len(incidents)},
    )
    purge = _sealer(store)(record, changes)
    if regions:
        store.put_regions(regions)
    for workflow in workflows:
        store.put_workflow(workflow)
    for incident in incidents:
        store.put_incident(incident)
    return found.model_copy(update={"record": purge.id})
