"""The FastAPI application: authentication, error mapping, and the routers.

Every route but ``/healthz`` needs a token. Library errors keep their type across the wire
(``{"error": message, "type": name}``) so the HTTP client store raises the same exception the
embedded store would.
"""

from __future__ import annotations

import os
import time
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import Settings
from ..errors import InvalidInput, InvalidTransition, LedgerError, NotFound, StoreError, UnknownWorkflow
from ..store import Store
from .appends import GroupCommit
from .auth import Accounts, Forbidden, Principal, Unauthorized

STATUS: dict[type[LedgerError], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    UnknownWorkflow: 404,
    NotFound: 404,
    InvalidTransition: 409,
    InvalidInput: 422,
    StoreError: 503,
}
PRINCIPAL_TTL = 5.0  # seconds a token lookup is trusted without asking the store again


def _status(exc: LedgerError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def error_body(exc: LedgerError) -> dict[str, str]:
    # UnknownWorkflow carries the key so the client can rebuild it exactly.
    body = {"error": str(exc), "type": type(exc).__name__}
    if isinstance(exc, UnknownWorkflow):
        body["key"] = exc.key
    return body


async def _ledger_error(request: Request, exc: LedgerError) -> JSONResponse:
    return JSONResponse(error_body(exc), status_code=_status(exc))


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = f"invalid request: {where}: {str(first.get('msg', '')).removeprefix('Value error, ')}"
    return JSONResponse({"error": message, "type": "InvalidInput"}, status_code=422)


class AppendLane:
    """``POST /v1/entries`` answered ahead of FastAPI's routing and per-route machinery.

    It is the one route every hook calls, and on a small machine the framework's layers cost
    more CPU than the append itself (measured: a bare ASGI answer is ~3× FastAPI's). The
    handler is the route's own (``routes.append``), so the API and its OpenAPI document do
    not change; errors map to the same bodies and statuses.
    """

    PATH = "/v1/entries"

    def __init__(self, app: ASGIApp) -> None:
        from .routes import append  # routes import this module

        self.app = app
        self.append = append

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.append(request)
        except LedgerError as exc:
            response = await _ledger_error(request, exc)
        except RequestValidationError as exc:
            response = await _invalid(request, exc)
        await response(scope, receive, send)


def create_app(settings: Settings, store: Store, *, admin_token: str | None = None) -> FastAPI:
    """The service over ``store``. ``admin_token`` defaults to ``OPLEDGER_ADMIN_TOKEN``."""
    from .routes import AppendBody, admin_router, append_router, ledger_router, report_router

    app = FastAPI(
        title="opledger team service",
        version="1",
        description="The AI Operating Ledger's team API: entries, workflows, regions, incidents, reports.",
    )
    app.state.settings = settings
    app.state.store = store
    app.state.accounts = Accounts(store, admin_token if admin_token is not None else os.environ.get("OPLEDGER_ADMIN_TOKEN"))
    app.state.principals = {}
    app.state.appends = GroupCommit(store)

    app.add_exception_handler(LedgerError, _ledger_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_middleware(AppendLane)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(append_router, prefix="/v1")
    for router in (ledger_router, report_router, admin_router):
        app.include_router(router, prefix="/v1", dependencies=[Depends(principal)])
    _document(app, AppendBody)
    return app


def _document(app: FastAPI, *models: type) -> None:
    """Add schemas of bodies that routes validate themselves to the OpenAPI document."""
    from pydantic.json_schema import models_json_schema

    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            _, extra = models_json_schema([(m, "validation") for m in models], ref_template="#/components/schemas/{model}")
            schema.setdefault("components", {}).setdefault("schemas", {}).update(extra.get("$defs", {}))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The caller, from their bearer token. Cached briefly, and checked on the event loop when
    cached: every append asks, and a hop to a worker thread costs more than the check."""
    cache: dict[str | None, tuple[float, Principal]] = request.app.state.principals
    hit = cache.get(authorization)
    now = time.monotonic()
    if hit is not None and now - hit[0] < PRINCIPAL_TTL:
        request.state.principal = hit[1]
        return hit[1]
    who = await run_in_threadpool(request.app.state.accounts.authenticate, authorization)
    if len(cache) > 10_000:
        cache.clear()
    cache[authorization] = (now, who)
    request.state.principal = who
    return who
