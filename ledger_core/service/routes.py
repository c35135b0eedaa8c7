"""The service's routes: one per ``Store`` method, plus reports, digests and administration.

Handlers are a few lines: authorise, call the store or a core function, serialise. Bodies
are the core's own models (``EntryDraft``, ``Workflow``, ``Region``, ``Incident``), so the API
validates exactly what the embedded store would accept.
"""

from __future__ import annotations

import time
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from ..errors import UnknownWorkflow
from ..metrics import make_period
from ..models import Entry, EntryDraft, Evidence, Incident, Region, Workflow, WorkflowState
from ..report import TeamReport, team_report
from ..store import AppendResult, Store, VerifyReport
from .app import principal
from .auth import RESERVED, Forbidden, NewUser, Principal, Role

ledger_router = APIRouter(tags=["ledger"])
append_router = APIRouter(tags=["ledger"])  # authenticates by itself (see ``append``)
report_router = APIRouter(tags=["reports"])
admin_router = APIRouter(tags=["admin"])
Who = Annotated[Principal, Depends(principal)]
TEAM_TTL = 10.0  # seconds a workflow's team is trusted for authorisation without a lookup


@cache
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind)


def reply(value: Any, kind: Any) -> Response:
    return Response(_adapter(kind).dump_json(value), media_type="application/json")


def store_of(request: Request) -> Store:
    return request.app.state.store


def _cached_team(request: Request, key: str) -> tuple[float, str | None] | None:
    """(when, team) of ``key`` if looked up within TEAM_TTL."""
    hit = request.app.state.__dict__.setdefault("_teams", {}).get(key)
    return hit if hit is not None and time.monotonic() - hit[0] < TEAM_TTL else None


def _team_of(request: Request, key: str) -> str | None:
    hit = _cached_team(request, key)
    if hit is not None:
        return hit[1]
    found = store_of(request).find_workflow(key)
    team = found.team if found else None
    cache_ = request.app.state.__dict__["_teams"]
    if len(cache_) > 50_000:
        cache_.clear()
    cache_[key] = (time.monotonic(), team)
    return team


def allow_workflows(request: Request, who: Principal, keys: set[str]) -> None:
    if who.role == Role.ADMIN or who.team is None:
        return
    for key in keys:
        team = _team_of(request, key)
        if not who.may_touch_team(team):
            raise Forbidden(f"workflow {key!r} belongs to team {team!r}; {who.name} is in team {who.team!r}")


def allow_kv(namespace: str) -> None:
    if namespace.startswith(RESERVED):
        raise Forbidden(f"key-value namespace {namespace!r} is reserved for the service")


# --------------------------------------------------------------------------- bodies
class AppendBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entries: list[EntryDraft] = Field(max_length=10_000)


_APPEND_BODY = TypeAdapter(AppendBody)


class TransitionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    to: WorkflowState
    at: datetime
    actor: str | None = None
    evidence: Evidence | None = None


class RegionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regions: list[Region]


class KvBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Any = None


# --------------------------------------------------------------------------- entries
def _teams_known(request: Request, who: Principal, keys: set[str]) -> bool:
    """Whether authorising ``who`` for ``keys`` needs no store lookup (so it can run on the loop)."""
    if who.role == Role.ADMIN or who.team is None:
        return True
    return all(_cached_team(request, key) is not None for key in keys)


@append_router.post(
    "/entries",
    response_model=AppendResult,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AppendBody"}}}},
    },
)
async def append(request: Request) -> Response:
    """Append a batch of entries (idempotent by source and source_ref).

    The hot path — every editor hook sends one entry per request — so it skips FastAPI's
    parameter machinery: the token and team checks run on the event loop when cached, the body
    is validated from its bytes by pydantic-core, and concurrent requests share one group
    commit (``GroupCommit``) with one worker-thread hop per group.
    """
    who = await principal(request, request.headers.get("authorization"))
    try:
        body = _APPEND_BODY.validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([error | {"loc": ("body", *error["loc"])} for error in exc.errors()]) from exc
    keys = {d.workflow for d in body.entries}
    if _teams_known(request, who, keys):
        allow_workflows(request, who, keys)
    else:
        await run_in_threadpool(allow_workflows, request, who, keys)
    result = await request.app.state.appends.append(body.entries)
    return Response(_adapter(AppendResult).dump_json(result), media_type="application/json")


@ledger_router.get("/entries", response_model=list[Entry])
def entries(request: Request, who: Who, workflow: str | None = None, since: datetime | None = None, until: datetime | None = None) -> Response:
    if workflow is None:
        # The whole ledger (or a slice of it across workflows) is an export.
        who.require(Role.LEAD, "exporting entries across workflows")
        request.app.state.accounts.log(who, "export", since=str(since) if since else None, until=str(until) if until else None)
    else:
        allow_workflows(request, who, {workflow})
    return reply(store_of(request).entries(workflow=workflow, since=since, until=until), list[Entry])


@ledger_router.get("/entries/{entry_id}", response_model=Entry)
def get_entry(request: Request, entry_id: str, who: Who) -> Response:
    entry = store_of(request).get_entry(entry_id)
    allow_workflows(request, who, {entry.workflow})
    return reply(entry, Entry)


@ledger_router.get("/verify", response_model=VerifyReport)
def verify(request: Request, who: Who) -> Response:
    who.require(Role.LEAD, "verifying the whole ledger")
    return reply(store_of(request).verify(), VerifyReport)


class SealBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: EntryDraft
    changes: dict[str, dict[str, Any]] = Field(min_length=1)


@ledger_router.post("/seal", response_model=Entry)
def seal(request: Request, body: SealBody, who: Who) -> Response:
    """Drop private fields of entries (retention, ``forget``): the ledger's numbers stay."""
    who.require(Role.ADMIN, "purging private fields of entries")
    request.app.state.accounts.log(who, "seal", kind=body.record.kind, entries=len(body.changes))
    return reply(store_of(request).seal(body.record, body.changes), Entry)


# --------------------------------------------------------------------------- workflows
@ledger_router.put("/workflows", response_model=Workflow)
def put_workflow(request: Request, workflow: Workflow, who: Who, create_only: bool = False) -> Response:
    if not who.may_touch_team(workflow.team):
        raise Forbidden(f"{who.name} (team {who.team!r}) cannot write workflows of team {workflow.team!r}")
    allow_workflows(request, who, {workflow.key})
    return reply(store_of(request).put_workflow(workflow, create_only=create_only), Workflow)


@ledger_router.get("/workflows/one", response_model=Workflow)
def find_workflow(request: Request, who: Who, key: str) -> Response:
    found = store_of(request).find_workflow(key)
    if found is None:
        raise UnknownWorkflow(key)
    if not who.may_touch_team(found.team):
        raise Forbidden(f"workflow {key!r} belongs to team {found.team!r}")
    return reply(found, Workflow)


@ledger_router.get("/workflows", response_model=list[Workflow])
def workflows(request: Request, who: Who, team: str | None = None) -> Response:
    found = [w for w in store_of(request).workflows(team=team) if who.may_touch_team(w.team)]
    return reply(found, list[Workflow])


@ledger_router.post("/transitions", response_model=Workflow)
def transition(request: Request, body: TransitionBody, who: Who) -> Response:
    allow_workflows(request, who, {body.key})
    moved = store_of(request).transition_workflow(body.key, body.to, body.at, actor=body.actor, evidence=body.evidence)
    return reply(moved, Workflow)


# --------------------------------------------------------------------------- regions
@ledger_router.put("/regions", status_code=204)
def put_regions(request: Request, body: RegionsBody, who: Who) -> Response:
    allow_workflows(request, who, {r.workflow for r in body.regions})
    store_of(request).put_regions(body.regions)
    return Response(status_code=204)


@ledger_router.get("/regions", response_model=list[Region])
def regions(request: Request, who: Who, path: str | None = None, workflow: str | None = None) -> Response:
    found = store_of(request).regions(path=path, workflow=workflow)
    allow_workflows(request, who, {r.workflow for r in found})
    return reply(found, list[Region])


@ledger_router.get("/regions/{region_id}", response_model=Region)
def get_region(request: Request, region_id: str, who: Who) -> Response:
    region = store_of(request).get_region(region_id)
    allow_workflows(request, who, {region.workflow})
    return reply(region, Region)


# --------------------------------------------------------------------------- incidents
@ledger_router.post("/incidents", response_model=Incident)
def put_incident(request: Request, incident: Incident, who: Who) -> Response:
    allow_workflows(request, who, set(incident.workflows))
    return reply(store_of(request).put_incident(incident), Incident)


@ledger_router.get("/incidents", response_model=list[Incident])
def incidents(request: Request, who: Who, workflow: str | None = None) -> Response:
    found = store_of(request).incidents(workflow=workflow)
    allow_workflows(request, who, {k for i in found for k in i.workflows})
    return reply(found, list[Incident])


# --------------------------------------------------------------------------- key-value
@ledger_router.get("/kv")
def kv_get(request: Request, who: Who, namespace: str, key: str) -> dict[str, Any]:
    allow_kv(namespace)
    return {"value": store_of(request).kv_get(namespace, key)}


@ledger_router.put("/kv", status_code=204)
def kv_set(request: Request, body: KvBody, who: Who, namespace: str, key: str) -> Response:
    allow_kv(namespace)
    store_of(request).kv_set(namespace, key, body.value)
    return Response(status_code=204)


@ledger_router.post("/kv/claim")
def kv_claim(request: Request, body: KvBody, who: Who, namespace: str, key: str) -> dict[str, bool]:
    allow_kv(namespace)
    return {"claimed": store_of(request).kv_claim(namespace, key, body.value)}


@ledger_router.get("/version")
def version(request: Request, who: Who) -> dict[str, str]:
    return {"version": store_of(request).version()}


# --------------------------------------------------------------------------- reports
Since = Annotated[str | None, Query(description="From this date (inclusive, UTC).")]
Until = Annotated[str | None, Query(description="Until this date (exclusive, UTC).")]
Week = Annotated[str | None, Query(description="An ISO week, e.g. 2026-W49.")]


def report_team(who: Principal, team: str | None) -> str | None:
    """Leads and managers read their own team; admins (and team-less managers) any."""
    who.require(Role.LEAD, "reading a team report")
    if who.role != Role.ADMIN and who.team is not None:
        if team is not None and team != who.team:
            raise Forbidden(f"{who.name} may read team {who.team!r}'s reports, not {team!r}'s")
        return who.team
    return team


@report_router.get("/reports/team", response_model=TeamReport)
def report(request: Request, who: Who, since: Since = None, until: Until = None, week: Week = None, team: str | None = None) -> Response:
    team = report_team(who, team)
    period = make_period(since, until, week)
    request.app.state.accounts.log(who, "report", period=period.label, team=team)
    return reply(team_report(store_of(request), period, team), TeamReport)


@report_router.get("/digest")
def digest(request: Request, who: Who, week: Week = None, team: str | None = None) -> Response:
    from ..digest import Digest, build_digest
    from ..metrics import current_week, week_period
    from ..models import Line

    team = report_team(who, team)
    period = week_period(week) if week else current_week()
    request.app.state.accounts.log(who, "digest", period=period.label, team=team)
    store = store_of(request)
    current, previous = team_report(store, period, team), team_report(store, period.previous(), team)
    prepped = {row.key for row in current.workflows if row.lines.get(Line.CONTEXT_PREP, 0) > 0}
    return reply(build_digest(current, previous, prepped), Digest)


# --------------------------------------------------------------------------- administration
@admin_router.get("/whoami", response_model=Principal)
def whoami(who: Who) -> Principal:
    return who


@admin_router.post("/users")
def add_user(request: Request, user: NewUser, who: Who) -> dict[str, Any]:
    who.require(Role.ADMIN, "adding users")
    token = request.app.state.accounts.add_user(user)
    return user.model_dump(mode="json") | {"token": token}


@admin_router.get("/users")
def users(request: Request, who: Who) -> list[dict[str, Any]]:
    who.require(Role.ADMIN, "listing users")
    return request.app.state.accounts.users()


@admin_router.get("/access-log")
def access_log(request: Request, who: Who, after: str | None = None, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[dict[str, Any]]:
    who.require(Role.ADMIN, "reading the access log")
    return request.app.state.accounts.access_log(after=after, limit=limit)
