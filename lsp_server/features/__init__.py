"""The server's features, one module each with ``register(server)``; handlers stay thin.

``guarded`` wraps a handler so that an unexpected error is logged to the client and the
request answers ``None`` instead of the editor session seeing a crash.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException


def guarded(server: Any, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
        def report(exc: Exception) -> None:
            server.log(f"{name} failed: {exc!r}", types.MessageType.Error)

        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def run_async(*args: Any) -> Any:
                try:
                    return await handler(*args)
                except JsonRpcException:
                    raise
                except Exception as exc:
                    report(exc)
                    return None

            return run_async

        @functools.wraps(handler)
        def run(*args: Any) -> Any:
            try:
                return handler(*args)
            except JsonRpcException:
                raise
            except Exception as exc:
                report(exc)
                return None

        return run

    return wrap
