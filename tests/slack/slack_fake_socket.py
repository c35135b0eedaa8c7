"""Slack's Socket Mode side over loopback: a real websocket server (``websockets``) that the URL
from the fake ``apps.connections.open`` points at. It greets with ``hello``, pushes envelopes
the way Slack does and records every acknowledgement the bot sends back."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


class FakeSocket:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.paths: list[str] = []
        self._connection: ServerConnection | None = None
        self._connected = threading.Condition()
        self.server = serve(self._serve, "127.0.0.1", 0)
        self.port = self.server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeSocket:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    def url(self) -> str:
        """A fresh ``wss``-like URL, as apps.connections.open hands out (one ticket per connection)."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4()}&app_id=A0OPLEDGER"

    def _serve(self, connection: ServerConnection) -> None:
        self.paths.append(connection.request.path if connection.request else "")
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0OPLEDGER"},
                                    "debug_info": {"host": "fake-socket", "approximate_connection_time": 18060}}))
        with self._connected:
            self._connection = connection
            self._connected.notify_all()
        try:
            for raw in connection:
                message = json.loads(raw)
                if "envelope_id" in message:
                    self.acks[message["envelope_id"]] = message
        except ConnectionClosed:
            pass
        finally:
            with self._connected:
                if self._connection is connection:
                    self._connection = None

    def wait_connected(self, timeout: float = 30) -> None:
        with self._connected:
            if not self._connected.wait_for(lambda: self._connection is not None, timeout):
                raise AssertionError("the bot never opened the Socket Mode connection")

    def push(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = "") -> str:
        """Send one envelope (``slash_commands``, ``events_api``, ``interactive``); returns its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                                    "accepts_response_payload": kind != "events_api"}
        if kind == "events_api":
            envelope |= {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        self.wait_connected()
        assert self._connection is not None
        self._connection.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 3) -> dict[str, Any]:
        """Slack waits 3 s for the ack before it retries; so does this."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if envelope_id in self.acks:
                return self.acks[envelope_id]
            time.sleep(0.01)
        raise AssertionError(f"no ack for envelope {envelope_id} within {timeout} s")
