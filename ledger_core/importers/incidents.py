"""Incident payloads (PagerDuty webhooks v3 and v2, PagerDuty Events API v2, Opsgenie alert
webhooks, or a plain generic JSON) → ``escaped_defects`` entries on the workflows that caused them.

Linking, strongest first: workflow keys named in the payload; commit SHAs (a workflow's merge
commit or any of its branch commits, as recorded by the git and GitHub importers); pull request
URLs. Only when none of those is present does the service heuristic apply: the most recent
workflow of that service (repo or team name) merged within ``settings.incident_window_hours``
before the incident opened — and the incident is then marked ``heuristic``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import ledger
from ..config import Settings
from ..errors import InvalidInput
from ..metrics import parse_moment
from ..models import Incident, Workflow, WorkflowState
from ..store import Store
from .delivery import ImportReport

PR_URL = re.compile(r"https?://[^\s/]+/([\w.-]+/[\w.-]+)/pull/(\d+)")
FULL_SHA = re.compile(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")
SHORT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
SHA_KEYS = {"commit", "commit_sha", "sha", "git_sha", "revision", "deploy_sha", "commits"}
WORKFLOW_KEYS = {"workflow", "workflows", "opledger_workflow"}


class IncidentEvent(BaseModel):
    """One incident as the payload describes it, whatever tool sent it."""

    model_config = ConfigDict(frozen=True)

    source: str
    ref: str
    title: str | None = None
    severity: str | None = None
    service: str | None = None
    url: str | None = None
    opened_at: datetime
    workflows: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()
    pulls: tuple[str, ...] = ()  # owner/name#N
    remediation_hours: Decimal = Field(default=Decimal(0), ge=0)
    customer_impact: str | None = None


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k).lower())
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, (str, int)) and not isinstance(value, bool):
        yield key, str(value)


def _links(*parts: Any) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    workflows, commits, pulls = [], [], []
    for key, text in _strings(list(parts)):
        if key in WORKFLOW_KEYS:
            workflows += [w.strip() for w in text.split(",") if w.strip()]
        if key in SHA_KEYS and SHORT_SHA.match(text.strip().lower()):
            commits.append(text.strip().lower())
        commits += FULL_SHA.findall(text.lower())
        pulls += [f"{m.group(1)}#{m.group(2)}" for m in PR_URL.finditer(text)]
    return tuple(dict.fromkeys(workflows)), tuple(dict.fromkeys(commits)), tuple(dict.fromkeys(pulls))


def _moment(value: Any, where: str) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000 if value > 10**11 else value, UTC)
    if isinstance(value, str) and value:
        try:
            return parse_moment(value, what="opening time")
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc}") from exc
    raise InvalidInput(f"{where}: the incident has no opening time")


def _hours(value: Any, where: str) -> Decimal:
    if value in (None, "") or isinstance(value, bool):
        return Decimal(0)
    if not isinstance(value, (int, float, str)):
        raise InvalidInput(f"{where}: remediation_hours must be a number")
    return ledger.parse_decimal(value, what=f"{where}: remediation_hours")


def _severity(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("summary") or value.get("name")
    return str(value) if value not in (None, "") else None


def parse_event(payload: Any, where: str) -> list[IncidentEvent]:
    """Every incident in one payload; raises ``InvalidInput`` naming the shape it expected."""
    try:
        return _parse(payload, where)
    except ValidationError as exc:
        raise InvalidInput(f"{where}: {ledger.validation_message(exc, 'incident')}") from exc
    except (AttributeError, TypeError, ValueError, ArithmeticError) as exc:
        raise InvalidInput(f"{where}: unexpected incident payload shape ({type(exc).__name__}: {exc})") from exc


def _parse(payload: Any, where: str) -> list[IncidentEvent]:
    if not isinstance(payload, dict):
        raise InvalidInput(f"{where}: expected a JSON object, got {type(payload).__name__}")
    if isinstance(payload.get("messages"), list):  # PagerDuty webhooks v2
        return [e for m in payload["messages"] for e in _parse({"__pd2": m}, where)]
    if "__pd2" in payload:
        incident = (payload["__pd2"] or {}).get("incident") or {}
        return [_pagerduty(incident, where)]
    if isinstance(payload.get("event"), dict) and isinstance(payload["event"].get("data"), dict):  # PagerDuty v3
        data = payload["event"]["data"]
        if data.get("type") not in (None, "incident", "incident_reference"):
            raise InvalidInput(f"{where}: PagerDuty event about a {data.get('type')!r}, not an incident")
        return [_pagerduty(data | {"created_at": data.get("created_at") or payload["event"].get("occurred_at")}, where)]
    if isinstance(payload.get("payload"), dict) and "event_action" in payload:  # PagerDuty Events API v2
        body = payload["payload"]
        workflows, commits, pulls = _links(body.get("custom_details"), payload.get("links"), body.get("summary"))
        return [IncidentEvent(
            source="pagerduty", ref=str(payload.get("dedup_key") or body.get("summary") or ""), title=body.get("summary"),
            severity=_severity(body.get("severity")), service=body.get("component") or body.get("source"),
            opened_at=_moment(body.get("timestamp"), where), workflows=workflows, commits=commits, pulls=pulls,
            remediation_hours=_hours((body.get("custom_details") or {}).get("remediation_hours"), where),
        )]
    if isinstance(payload.get("alert"), dict):  # Opsgenie
        alert = payload["alert"]
        tags = alert.get("tags") or []
        service = next((t.split(":", 1)[1] for t in tags if isinstance(t, str) and t.startswith("service:")), None)
        workflows, commits, pulls = _links(alert.get("details"), tags, alert.get("message"))
        return [IncidentEvent(
            source="opsgenie", ref=str(alert.get("alertId") or alert.get("alias") or ""), title=alert.get("message"),
            severity=_severity(alert.get("priority")), service=service or alert.get("entity") or alert.get("source"),
            opened_at=_moment(alert.get("createdAt"), where), workflows=workflows, commits=commits, pulls=pulls,
            remediation_hours=_hours((alert.get("details") or {}).get("remediation_hours"), where),
        )]
    if "id" in payload and ("title" in payload or "opened_at" in payload):  # generic
        workflows, commits, pulls = _links({k: v for k, v in payload.items() if k not in ("title", "customer_impact")})
        return [IncidentEvent(
            source=str(payload.get("source") or "generic"), ref=str(payload["id"]), title=payload.get("title"),
            severity=_severity(payload.get("severity")), service=payload.get("service"), url=payload.get("url"),
            opened_at=_moment(payload.get("opened_at"), where), workflows=workflows, commits=commits, pulls=pulls,
            remediation_hours=_hours(payload.get("remediation_hours"), where), customer_impact=payload.get("customer_impact"),
        )]
    raise InvalidInput(f"{where}: not a PagerDuty, Opsgenie or generic incident payload (keys: {', '.join(sorted(payload)[:8])})")


def _pagerduty(incident: dict, where: str) -> IncidentEvent:
    if not incident.get("id"):
        raise InvalidInput(f"{where}: PagerDuty incident without an id")
    workflows, commits, pulls = _links(incident.get("custom_fields"), incident.get("body"), incident.get("title"))
    return IncidentEvent(
        source="pagerduty", ref=str(incident["id"]), title=incident.get("title") or incident.get("summary"),
        severity=_severity(incident.get("priority")) or _severity(incident.get("urgency")),
        service=_severity(incident.get("service")), url=incident.get("html_url"),
        opened_at=_moment(incident.get("created_at"), where), workflows=workflows, commits=commits, pulls=pulls,
    )


def link(store: Store, settings: Settings, event: IncidentEvent) -> tuple[tuple[str, ...], bool, str]:
    """(workflow keys, heuristic?, how): explicit links first, the service heuristic last."""
    explicit = [w for w in event.workflows if store.find_workflow(w) is not None]
    workflows = store.workflows()
    for workflow in workflows:
        shas = [workflow.attrs.get("merge_commit") or "", *workflow.attrs.get("commits", [])]
        if any(s and c and s.startswith(c) for c in event.commits for s in shas):
            explicit.append(workflow.key)
        elif set(event.pulls) & set(workflow.attrs.get("pull_requests", [])):
            explicit.append(workflow.key)
    if explicit:
        return tuple(dict.fromkeys(explicit)), False, "explicit"
    if not event.service:
        return (), False, "no workflow, commit or pull request named, and no service"
    window = timedelta(hours=float(settings.incident_window_hours))
    service = event.service.lower()

    def of_service(w: Workflow) -> bool:
        names = {(w.repo or "").lower(), (w.repo or "").rsplit("/", 1)[-1].lower(), (w.team or "").lower()}
        return service in names

    candidates = [
        w for w in workflows
        if w.state in (WorkflowState.MERGED, WorkflowState.VERIFIED) and of_service(w)
        and w.merged_at is not None and timedelta(0) <= event.opened_at - w.merged_at <= window
    ]
    if not candidates:
        return (), False, f"no workflow of service {event.service!r} merged in the {settings.incident_window_hours} h before it"
    latest = max(candidates, key=lambda w: w.merged_at)
    return (latest.key,), True, "service heuristic"


def record_events(store: Store, settings: Settings, events: list[IncidentEvent], *, workflows: tuple[str, ...] = (), remediation_hours: Decimal | None = None) -> ImportReport:
    report = ImportReport(source="incident")
    for event in events:
        what = f"{event.source} incident {event.ref}"
        if not event.ref:
            report.skip(what, "the payload has no incident id, so it cannot be imported idempotently")
            continue
        if workflows:
            for key in workflows:
                store.get_workflow(key)
            keys, heuristic, how = workflows, False, "given"
        else:
            keys, heuristic, how = link(store, settings, event)
        if not keys:
            report.skip(what, f"{how}; link it with --workflow")
            continue
        incident = Incident(
            workflows=keys, link=event.url, title=event.title[:200] if event.title else None,
            severity=event.severity, remediation_hours=remediation_hours if remediation_hours is not None else event.remediation_hours,
            customer_impact=event.customer_impact, opened_at=event.opened_at, heuristic=heuristic,
            source=event.source, source_ref=event.ref,
        )
        before = len(store.entries())
        stored = ledger.record_incident(store, settings, incident)
        added = len(store.entries()) - before
        report.stored += added
        report.duplicates += len(keys) - added
        for key in keys:
            report.touch(key)
        if added:
            report.transitions.append(f"{what} → {', '.join(keys)} ({how}{', heuristic' if stored.heuristic else ''})")
    return report


def load_payloads(path: Path) -> list[Any]:
    """A JSON object, a JSON array of objects, or JSON Lines."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = orjson.loads(raw)
        return data if isinstance(data, list) else [data]
    except orjson.JSONDecodeError:
        pass
    payloads = []
    for number, line in enumerate(raw.splitlines(), 1):
        if line.strip():
            try:
                payloads.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise InvalidInput(f"{path}:{number}: not JSON ({exc})") from exc
    return payloads


def import_file(store: Store, settings: Settings, path: Path, *, workflows: tuple[str, ...] = (), remediation_hours: Decimal | None = None) -> ImportReport:
    payloads = load_payloads(path)
    events = [e for i, p in enumerate(payloads) for e in parse_event(p, f"{path}[{i}]" if len(payloads) > 1 else str(path))]
    return record_events(store, settings, events, workflows=workflows, remediation_hours=remediation_hours)
