"""The HTTP client store: the ``Store`` protocol over the team service's JSON API (httpx).

With ``--store https://ledger.example/`` the CLI, hooks, language server and bot run
unchanged. When the service is unreachable, slow or has lost its database, writes go to the
local outbox (``outbox.py``) and are sent by ``opledger sync`` or after the next call that
succeeds. Reads cannot be buffered and fail with a clear error, except ``find_workflow``,
which answers from the outbox so that hooks can keep recording offline.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx
from pydantic import TypeAdapter

from ..errors import InvalidInput, InvalidTransition, LedgerError, NotFound, StoreError, UnknownWorkflow
from ..models import Entry, EntryDraft, Evidence, Incident, Region, Workflow, WorkflowState, new_id
from .base import AppendResult, VerifyReport
from .outbox import Outbox, SyncResult

_ENTRIES = TypeAdapter(list[Entry])
_WORKFLOWS = TypeAdapter(list[Workflow])
_REGIONS = TypeAdapter(list[Region])
_INCIDENTS = TypeAdapter(list[Incident])
_DRAFTS = TypeAdapter(list[EntryDraft])
_ERRORS: dict[str, type[LedgerError]] = {
    "NotFound": NotFound,
    "InvalidTransition": InvalidTransition,
    "InvalidInput": InvalidInput,
}


class ServiceUnavailable(StoreError):
    """The team service did not answer in time, or cannot reach its database."""


class AccessDenied(LedgerError):
    """The service refused the token (401) or the role (403)."""


class HttpStore:
    """``Store`` backed by ``opledger serve``. ``token`` defaults to ``OPLEDGER_TOKEN``."""

    def __init__(self, location: str, *, token: str | None = None, timeout: float | None = None, outbox_dir=None, **_: Any) -> None:
        self.location = location.rstrip("/")
        token = token or os.environ.get("OPLEDGER_TOKEN")
        seconds = timeout or float(os.environ.get("OPLEDGER_HTTP_TIMEOUT") or 10)
        self._client = httpx.Client(
            base_url=self.location + "/v1",
            headers={"Authorization": f"Bearer {token}"} if token else {},
            timeout=httpx.Timeout(seconds, connect=min(seconds, 3.0)),
        )
        self.outbox = Outbox(self.location, outbox_dir)
        self._syncing = False

    # ------------------------------------------------------------------ transport
    def _call(self, method: str, path: str, *, json: Any = None, content: bytes | None = None, params: dict | None = None) -> Any:
        params = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in (params or {}).items() if v is not None}
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = self._client.request(method, path, json=json, content=content, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"team service {self.location} is unreachable: {exc or type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise self._error(response)
        if not self._syncing and self.outbox.pending():
            try:
                self.sync()
            except LedgerError:
                pass  # still buffered; the next success or `opledger sync` tries again
        return response

    def _error(self, response: httpx.Response) -> LedgerError:
        try:
            body = response.json()
            message, kind = body["error"], body.get("type")
        except (ValueError, KeyError, TypeError):
            message, kind = response.text[:200] or response.reason_phrase, None
        status = response.status_code
        if status in (502, 503, 504):
            return ServiceUnavailable(f"team service {self.location} is unavailable ({status}): {message}")
        if status in (401, 403):
            return AccessDenied(f"team service {self.location} refused the request: {message}")
        if kind == "UnknownWorkflow":
            return UnknownWorkflow(body.get("key", ""))
        return _ERRORS.get(kind or "", LedgerError)(message if kind else f"team service {self.location} answered {status}: {message}")

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs).json()

    # ------------------------------------------------------------------ entries
    def append(self, drafts: Sequence[EntryDraft]) -> AppendResult:
        if not drafts:
            return AppendResult()
        # A key before the first attempt: a request that timed out may still have been stored.
        keyed = [d if d.source_ref else d.model_copy(update={"source_ref": f"client:{new_id()}"}) for d in drafts]
        try:
            return self._send_append(keyed)
        except ServiceUnavailable:
            return self.outbox.add_entries(keyed)

    def _send_append(self, drafts: Sequence[EntryDraft]) -> AppendResult:
        body = b'{"entries":' + _DRAFTS.dump_json(list(drafts)) + b"}"
        return AppendResult.model_validate_json(self._call("POST", "/entries", content=body).content)

    def entries(self, *, workflow: str | None = None, since: datetime | None = None, until: datetime | None = None) -> list[Entry]:
        response = self._call("GET", "/entries", params={"workflow": workflow, "since": since, "until": until})
        return _ENTRIES.validate_json(response.content)

    def get_entry(self, entry_id: str) -> Entry:
        return Entry.model_validate_json(self._call("GET", f"/entries/{entry_id}").content)

    def verify(self) -> VerifyReport:
        return VerifyReport.model_validate_json(self._call("GET", "/verify").content)

    def seal(self, record: EntryDraft, changes: dict[str, dict[str, Any]]) -> Entry:
        """Retention and ``forget`` on the team ledger; never buffered (it must happen, or fail)."""
        body = {"record": record.model_dump(mode="json"), "changes": changes}
        return Entry.model_validate_json(self._call("POST", "/seal", json=body).content)

    # ------------------------------------------------------------------ workflows
    def put_workflow(self, workflow: Workflow, *, create_only: bool = False) -> Workflow:
        try:
            return self._send_workflow(workflow, create_only=create_only)
        except ServiceUnavailable:
            return self.outbox.put_workflow(workflow, create_only=create_only)

    def _send_workflow(self, workflow: Workflow, *, create_only: bool = False) -> Workflow:
        response = self._call("PUT", "/workflows", content=workflow.model_dump_json().encode(),
                              params={"create_only": "true" if create_only else "false"})
        stored = Workflow.model_validate_json(response.content)
        self.outbox.remember(stored)
        return stored

    def find_workflow(self, key: str) -> Workflow | None:
        try:
            found = Workflow.model_validate_json(self._call("GET", "/workflows/one", params={"key": key}).content)
        except UnknownWorkflow:
            return None
        except ServiceUnavailable:
            return self.outbox.find_workflow(key) or self.outbox.recall(key)
        self.outbox.remember(found)
        return found

    def get_workflow(self, key: str) -> Workflow:
        return Workflow.model_validate_json(self._call("GET", "/workflows/one", params={"key": key}).content)

    def workflows(self, *, team: str | None = None) -> list[Workflow]:
        return _WORKFLOWS.validate_json(self._call("GET", "/workflows", params={"team": team}).content)

    def transition_workflow(
        self, key: str, to: WorkflowState, at: datetime, *, actor: str | None = None, evidence: Evidence | None = None
    ) -> Workflow:
        try:
            return self._send_transition(key, to, at, actor=actor, evidence=evidence)
        except ServiceUnavailable as exc:
            moved = self.outbox.add_transition(key, to, at, actor=actor, evidence=evidence)
            if moved is None:
                raise ServiceUnavailable(f"{exc}; workflow {key!r} was never seen here, so the move cannot be buffered") from exc
            return moved

    def _send_transition(
        self, key: str, to: WorkflowState, at: datetime, *, actor: str | None = None, evidence: Evidence | None = None
    ) -> Workflow:
        body = {"key": key, "to": to.value, "at": at.isoformat(), "actor": actor,
                "evidence": evidence.model_dump(mode="json") if evidence else None}
        return Workflow.model_validate_json(self._call("POST", "/transitions", json=body).content)

    # ------------------------------------------------------------------ regions
    def put_regions(self, regions: Sequence[Region]) -> None:
        if not regions:
            return
        try:
            self._send_regions(regions)
        except ServiceUnavailable:
            self.outbox.put_regions(regions)

    def _send_regions(self, regions: Sequence[Region]) -> None:
        self._call("PUT", "/regions", content=b'{"regions":' + _REGIONS.dump_json(list(regions)) + b"}")

    def regions(self, *, path: str | None = None, workflow: str | None = None) -> list[Region]:
        return _REGIONS.validate_json(self._call("GET", "/regions", params={"path": path, "workflow": workflow}).content)

    def get_region(self, region_id: str) -> Region:
        return Region.model_validate_json(self._call("GET", f"/regions/{region_id}").content)

    # ------------------------------------------------------------------ incidents
    def put_incident(self, incident: Incident) -> Incident:
        try:
            return self._send_incident(incident)
        except ServiceUnavailable:
            return self.outbox.put_incident(incident)

    def _send_incident(self, incident: Incident) -> Incident:
        return Incident.model_validate_json(self._call("POST", "/incidents", content=incident.model_dump_json().encode()).content)

    def incidents(self, *, workflow: str | None = None) -> list[Incident]:
        return _INCIDENTS.validate_json(self._call("GET", "/incidents", params={"workflow": workflow}).content)

    # ------------------------------------------------------------------ key-value
    def kv_get(self, namespace: str, key: str) -> Any | None:
        return self._json("GET", "/kv", params={"namespace": namespace, "key": key})["value"]

    def kv_set(self, namespace: str, key: str, value: Any) -> None:
        self._call("PUT", "/kv", json={"value": value}, params={"namespace": namespace, "key": key})

    def kv_claim(self, namespace: str, key: str, value: Any = True) -> bool:
        return bool(self._json("POST", "/kv/claim", json={"value": value}, params={"namespace": namespace, "key": key})["claimed"])

    # ------------------------------------------------------------------ team service extras
    def team_report(self, period, team: str | None = None):
        """The team report, computed by the service (which audit-logs the read)."""
        from ..report import TeamReport

        response = self._call("GET", "/reports/team", params={"since": period.since, "until": period.until, "team": team})
        return TeamReport.model_validate_json(response.content).model_copy(update={"period": period})

    def add_user(self, name: str, *, team: str | None, role: str) -> dict[str, Any]:
        return self._json("POST", "/users", json={"name": name, "team": team, "role": role})

    def sync(self) -> SyncResult:
        """Send what the outbox holds; safe to repeat (idempotency keys)."""
        self._syncing = True
        try:
            return self.outbox.replay(put_workflow=self._send_workflow, put_incident=self._send_incident,
                                      put_regions=self._send_regions, append=self._send_append, transition=self._send_transition)
        finally:
            self._syncing = False

    def version(self) -> str:
        return self._json("GET", "/version")["version"]

    def close(self) -> None:
        self._client.close()
