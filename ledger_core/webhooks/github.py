"""The GitHub webhook endpoint: signature check, delivery dedupe, then one small handler per event.

Every request must carry ``X-Hub-Signature-256`` = HMAC-SHA256 of the raw body with the
configured secret, compared in constant time; without a configured secret the endpoint refuses
everything (503) rather than accept unsigned input. ``X-GitHub-Delivery`` ids are claimed in the
store (``kv_claim``), so GitHub's redeliveries are answered without touching the ledger twice;
a delivery that failed is released so that a redelivery can succeed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..config import Settings
from ..errors import LedgerError
from ..importers.delivery import ImportReport
from ..importers.github import PullRequest, Review, _time, apply_pull_request, apply_review, gate_merged, slim_pull
from ..models import WorkflowState
from ..store import Store

log = logging.getLogger(__name__)
DELIVERIES = "github-delivery"
CHECKS = "github-checks"
REQUESTED = "github-review-requested"
EVENTS = ("pull_request", "pull_request_review", "check_suite")
MAX_BODY = 5 * 1024 * 1024


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def _pull(payload: dict) -> PullRequest:
    repo = payload["repository"]["full_name"]
    return PullRequest.model_validate({k: v for k, v in slim_pull(payload["pull_request"], repo).items() if k != "updated_at"})


def on_pull_request(store: Store, settings: Settings, payload: dict, report: ImportReport) -> None:
    pr = _pull(payload)
    apply_pull_request(store, settings, pr, report)
    action = payload.get("action")
    if action == "review_requested" and payload.get("requested_reviewer"):
        login = payload["requested_reviewer"].get("login")
        store.kv_set(REQUESTED, f"{pr.ref}:{login}", payload["pull_request"].get("updated_at"))
    if pr.merged_at and pr.merge_sha:
        gate_merged(store, settings, pr, store.kv_get(CHECKS, pr.merge_sha) or {}, report)


def on_review(store: Store, settings: Settings, payload: dict, report: ImportReport) -> None:
    if payload.get("action") != "submitted":
        report.skip(f"review {payload.get('action')}", "only submitted reviews are facts")
        return
    pr = _pull(payload)
    apply_pull_request(store, settings, pr, report)
    raw = payload["review"]
    reviewer = (raw.get("user") or {}).get("login")
    review = Review(
        id=int(raw["id"]), reviewer=reviewer, state=str(raw.get("state") or "").lower(), submitted_at=_time(raw.get("submitted_at")),
        requested_at=_time(store.kv_get(REQUESTED, f"{pr.ref}:{reviewer}")),
    )
    apply_review(store, settings, pr, review, report)
    if pr.merged_at and pr.merge_sha:
        gate_merged(store, settings, pr, store.kv_get(CHECKS, pr.merge_sha) or {}, report)


def on_check_suite(store: Store, settings: Settings, payload: dict, report: ImportReport) -> None:
    suite = payload["check_suite"]
    if payload.get("action") != "completed" or not suite.get("head_sha"):
        report.skip(f"check_suite {payload.get('action')}", "only completed suites count")
        return
    sha, name = suite["head_sha"], (suite.get("app") or {}).get("name") or "checks"
    checks = (store.kv_get(CHECKS, sha) or {}) | {name: suite.get("conclusion") or "pending"}
    store.kv_set(CHECKS, sha, checks)
    for workflow in store.workflows():
        if workflow.attrs.get("merge_commit") == sha and workflow.state == WorkflowState.MERGED:
            from ..gate import apply_gate

            decision = apply_gate(store, settings, workflow.key, sha, checks, _time(suite.get("updated_at")) or workflow.merged_at)
            if decision.passed:
                report.transitions.append(f"{workflow.key}: merged → verified by the gate")
            else:
                report.skip(f"gate for {workflow.key}", "; ".join(decision.reasons))


HANDLERS = {"pull_request": on_pull_request, "pull_request_review": on_review, "check_suite": on_check_suite}


def create_webhook_app(settings: Settings, store: Store) -> Starlette:
    async def github(request: Request) -> JSONResponse:
        secret = settings.github_webhook_secret
        if not secret:
            return JSONResponse({"error": "github_webhook_secret is not configured; refusing unsigned input"}, 503)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "payload too large"}, 413)
        if not signature_ok(secret, body, request.headers.get("X-Hub-Signature-256")):
            return JSONResponse({"error": "bad or missing X-Hub-Signature-256"}, 401)
        event, delivery = request.headers.get("X-GitHub-Event", ""), request.headers.get("X-GitHub-Delivery", "")
        if event == "ping":
            return JSONResponse({"ok": True, "pong": True})
        if not delivery:
            return JSONResponse({"error": "missing X-GitHub-Delivery"}, 400)
        if event not in HANDLERS:
            return JSONResponse({"ignored": event or "(no X-GitHub-Event)"}, 202)
        try:
            payload: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            return JSONResponse({"error": "body is not JSON"}, 400)
        return await run_in_threadpool(_handle, event, delivery, payload)

    def _handle(event: str, delivery: str, payload: Any) -> JSONResponse:
        if not store.kv_claim(DELIVERIES, delivery, "processing"):
            if store.kv_get(DELIVERIES, delivery) != "failed":
                return JSONResponse({"duplicate": True, "delivery": delivery})
            store.kv_set(DELIVERIES, delivery, "processing")
        report = ImportReport(source=f"github-webhook:{event}")
        try:
            HANDLERS[event](store, settings, payload, report)
        except (KeyError, TypeError, ValueError, ValidationError, LedgerError) as exc:
            store.kv_set(DELIVERIES, delivery, "failed")
            message = str(exc) if isinstance(exc, LedgerError) else f"malformed {event} payload: {type(exc).__name__} {exc}"
            log.warning("delivery %s (%s) failed: %s", delivery, event, message)
            return JSONResponse({"error": message, "delivery": delivery}, 422)
        store.kv_set(DELIVERIES, delivery, "done")
        return JSONResponse({"delivery": delivery} | report.model_dump())

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/github/webhook", github, methods=["POST"]), Route("/healthz", health)])
