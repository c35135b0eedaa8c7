"""HTTP mode: bolt behind uvicorn, every Slack request on ``POST /slack/events``; with OAuth
configured also ``GET /slack/install`` and ``GET /slack/oauth_redirect``.

bolt's dispatch is synchronous (and its listeners may wait up to 3 s for an ack), so it runs
in a worker thread, never on the event loop; the loop only moves bytes. bolt's own
development server resets connections under load (listen backlog of 5) and is not used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

EVENTS_PATH = "/slack/events"


def _well_formed(body: object) -> bool:
    # bolt's own middleware assumes these are objects (``body["event"].get(...)``) and answers
    # 500 with a traceback otherwise; such a body can only be forged, never sent by Slack.
    return isinstance(body, dict) and all(isinstance(body[k], dict) for k in ("event", "view", "user", "team", "enterprise") if k in body)


def _integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def asgi_app(app: App, threads: int = 64) -> Starlette:
    async def events(request: Request) -> Response:
        try:
            body = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:  # Slack only sends UTF-8; bolt needs text to check the signature
            return PlainTextResponse("request body is not UTF-8", status_code=400)
        stamp = request.headers.get("x-slack-request-timestamp")
        if stamp is not None and not _integer(stamp):  # slack_sdk's check would raise on it (500)
            return PlainTextResponse("X-Slack-Request-Timestamp is not a number", status_code=401)
        try:
            bolt_request = BoltRequest(body=body, query=request.url.query, headers=dict(request.headers))
        except (ValueError, AttributeError, TypeError):  # bad JSON, or JSON that is not an object
            return PlainTextResponse("request body is not a Slack payload", status_code=400)
        if not _well_formed(bolt_request.body):
            return PlainTextResponse("request body is not a Slack payload", status_code=400)
        bolt_response = await anyio.to_thread.run_sync(app.dispatch, bolt_request)
        return Response(status_code=bolt_response.status, content=bolt_response.body,
                        headers=bolt_response.first_headers_without_set_cookie())

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    routes = [Route(EVENTS_PATH, events, methods=["POST"]), Route("/healthz", health, methods=["GET"])]
    flow = app.oauth_flow
    if flow is not None:
        async def install(request: Request) -> Response:
            bolt_request = BoltRequest(body="", query=request.url.query, headers=dict(request.headers))
            return to_starlette_response(await anyio.to_thread.run_sync(flow.handle_installation, bolt_request))

        async def redirect(request: Request) -> Response:
            # oauth.v2.access and the installation store's writes are blocking: off the loop too.
            bolt_request = BoltRequest(body="", query=request.url.query, headers=dict(request.headers))
            return to_starlette_response(await anyio.to_thread.run_sync(flow.handle_callback, bolt_request))

        routes += [Route(flow.install_path, install, methods=["GET"]), Route(flow.redirect_uri_path, redirect, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)


def serve(app: App, *, host: str, port: int, threads: int = 64) -> None:
    import uvicorn

    # log_config=None: uvicorn logs through the root logger, whose handlers redact secrets.
    uvicorn.run(asgi_app(app, threads), host=host, port=port, log_config=None, access_log=False, backlog=2048, lifespan="on")
