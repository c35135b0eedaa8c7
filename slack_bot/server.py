"""HTTP mode: bolt behind uvicorn, every Slack request on ``POST /slack/events``.

bolt's dispatch is synchronous (and its listeners may wait up to 3 s for an ack), so it runs
in a worker thread, never on the event loop; the loop only moves bytes. bolt's own
development server resets connections under load (listen backlog of 5) and is not used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from slack_bolt import App, BoltRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

EVENTS_PATH = "/slack/events"


def asgi_app(app: App, threads: int = 64) -> Starlette:
    async def events(request: Request) -> Response:
        body = (await request.body()).decode("utf-8")
        bolt_request = BoltRequest(body=body, query=request.url.query, headers=dict(request.headers))
        bolt_response = await anyio.to_thread.run_sync(app.dispatch, bolt_request)
        return Response(status_code=bolt_response.status, content=bolt_response.body,
                        headers=bolt_response.first_headers_without_set_cookie())

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return Starlette(routes=[Route(EVENTS_PATH, events, methods=["POST"]), Route("/healthz", health, methods=["GET"])],
                     lifespan=lifespan)


def serve(app: App, *, host: str, port: int, threads: int = 64) -> None:
    import uvicorn

    # log_config=None: uvicorn logs through the root logger, whose handlers redact secrets.
    uvicorn.run(asgi_app(app, threads), host=host, port=port, log_config=None, access_log=False, backlog=2048, lifespan="on")
