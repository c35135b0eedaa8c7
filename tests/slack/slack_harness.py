"""Talking to the real bot like Slack does: requests signed exactly as Slack signs them (v0
HMAC-SHA256 over ``v0:{ts}:{body}``), slash commands, interactive payloads and events."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_fake_api import FakeSlack

OPLEDGER = str(Path(sys.executable).with_name("opledger"))

BOT_TOKEN = "xoxb-1111-2222-opledgerTESTtoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
MANAGER = "UMANAGER1"
ALICE = "UALICE"
BOB = "UBOB"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signature(body: str, ts: str, secret: str = SIGNING_SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()


@dataclass
class Bot:
    url: str
    fake: FakeSlack
    env: dict[str, str]
    log: Path
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def post(self, body: str, content_type: str, *, ts: int | None = None, secret: str = SIGNING_SECRET,
             headers: dict[str, str] | None = None, sign: bool = True) -> httpx.Response:
        stamp = str(int(time.time()) if ts is None else ts)
        sent = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp}
        if sign:
            sent["X-Slack-Signature"] = signature(body, stamp, secret)
        return self.http.post(self.url + "/slack/events", content=body.encode(), headers=sent | (headers or {}))

    def command(self, text: str, user: str = ALICE, channel: str = "C0GENERAL", team: str = "T0FAKE",
                **kwargs: Any) -> tuple[httpx.Response, str]:
        """A ``/ledger`` slash command; returns the response and its response_url path."""
        path = f"/respond/{uuid.uuid4().hex}"
        form = {"token": "legacy", "team_id": team, "team_domain": "fake", "channel_id": channel, "channel_name": "general",
                "user_id": user, "user_name": user.lower(), "command": "/ledger", "text": text, "api_app_id": "A0OPLEDGER",
                "response_url": self.fake.url + path, "trigger_id": f"trigger.{uuid.uuid4().hex}"}
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kwargs), path

    def interactive(self, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kwargs)

    def event(self, event: dict[str, Any], event_id: str | None = None, team: str = "T0FAKE", **kwargs: Any) -> httpx.Response:
        body = {"token": "legacy", "team_id": team, "api_app_id": "A0OPLEDGER", "type": "event_callback",
                "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}", "event_time": int(time.time()), "event": event}
        return self.post(json.dumps(body), "application/json", **kwargs)

    def cli(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([OPLEDGER, *args], capture_output=True, text=True, env=self.env | (env or {}), timeout=120)
        if check:
            assert result.returncode == 0, f"opledger {' '.join(args)} → {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def show(self, workflow: str) -> dict[str, Any]:
        return json.loads(self.cli("show", workflow, "--json").stdout)

    def responses(self, path: str, timeout: float = 15) -> list[dict[str, Any]]:
        return self.fake.wait_for("response_url", lambda p: p["_path"] == path, timeout=timeout)


@contextmanager
def serving(env: dict[str, str], log: Path, port: int | None = None) -> Iterator[str]:
    """``opledger slack serve`` in a subprocess until the block ends; yields its base URL once healthy."""
    port = port or free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen([OPLEDGER, "slack", "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the bot did not start:\n{log.read_text()}")
        time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def bot_env(tmp: Path, fake: FakeSlack) -> dict[str, str]:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPLEDGER_", "SLACK_", "CLAUDE_", "CODEX_"))}
    env.update(
        OPLEDGER_STORE=str(tmp / "store"), OPLEDGER_CONFIG=str(tmp / "config.toml"), HOME=str(home), COLUMNS="200", NO_COLOR="1",
        TZ="UTC", SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url,
        SLACK_MANAGERS=json.dumps({"core": [MANAGER]}), SLACK_USERS=f"{ALICE}=alice,{BOB}=bob",
    )
    (tmp / "config.toml").write_text('[actors]\nalice = "senior"\nbob = "staff"\n')
    return env


def submission(view: dict[str, Any], values: dict[str, Any], user: str = ALICE, view_id: str | None = None) -> dict[str, Any]:
    """A view_submission payload for an opened modal, with ``values`` as block_id → element state."""
    state = {block: {"value": element} for block, element in values.items()}
    return {"type": "view_submission", "team": {"id": "T0FAKE"}, "user": {"id": user, "team_id": "T0FAKE"}, "api_app_id": "A0OPLEDGER",
            "trigger_id": f"trigger.{uuid.uuid4().hex}",
            "view": {**view, "id": view_id or f"V{uuid.uuid4().hex[:10]}", "state": {"values": state}}}


def message_shortcut(callback_id: str, text: str, user: str = ALICE, author: str = BOB, channel: str = "C0INCIDENTS", ts: str | None = None) -> dict[str, Any]:
    ts = ts or f"{int(time.time())}.{uuid.uuid4().int % 1000000:06d}"
    return {"type": "message_action", "callback_id": callback_id, "trigger_id": f"trigger.{uuid.uuid4().hex}",
            "team": {"id": "T0FAKE"}, "user": {"id": user}, "channel": {"id": channel}, "api_app_id": "A0OPLEDGER",
            "message_ts": ts, "message": {"type": "message", "user": author, "text": text, "ts": ts}, "response_url": ""}
