"""A Slack-compatible fake Web API over loopback: a small real HTTP server that records every
call (with the token it came with), serves the files-upload-v2 upload URL and response_url,
checks Block Kit limits, hands out Socket Mode URLs (``apps.connections.open``) and installs
into workspaces through OAuth (the consent page and ``oauth.v2.access``)."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"}
VIEW_METHODS = {"views.open", "views.publish", "views.update"}


def block_kit_problems(blocks: list[dict[str, Any]], limit: int) -> list[str]:
    """Slack's documented limits that a real workspace would reject a payload for."""
    problems = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks > {limit}")
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(ids) != len(set(ids)):
        problems.append("duplicate block_id")
    for i, block in enumerate(blocks):
        kind = block.get("type")
        text = (block.get("text") or {}).get("text", "")
        if kind == "section":
            if len(text) > 3000:
                problems.append(f"block {i}: section text {len(text)} > 3000")
            if not text and not block.get("fields"):
                problems.append(f"block {i}: section without text or fields")
            fields = block.get("fields") or []
            if len(fields) > 10:
                problems.append(f"block {i}: {len(fields)} fields > 10")
            problems += [f"block {i}: field {len(f['text'])} > 2000" for f in fields if len(f["text"]) > 2000]
        elif kind == "header" and (len(text) > 150 or block["text"].get("type") != "plain_text"):
            problems.append(f"block {i}: header text {len(text)} > 150 or not plain_text")
        elif kind == "context" and len(block.get("elements") or []) > 10:
            problems.append(f"block {i}: context with more than 10 elements")
        elif kind == "input":
            if len(block["label"]["text"]) > 2000:
                problems.append(f"block {i}: input label too long")
            for opt in block["element"].get("options", []):
                if len(opt["text"]["text"]) > 75:
                    problems.append(f"block {i}: option text > 75")
        elif kind not in ("section", "header", "context", "divider", "input", "actions", "image"):
            problems.append(f"block {i}: unknown block type {kind!r}")
    return problems


class FakeSlack:
    def __init__(self, token: str, team_id: str = "T0FAKE") -> None:
        self.token = token
        # token → who it is (auth.test); OAuth installs add one bot token per workspace.
        self.tokens: dict[str, dict[str, Any]] = {token: self._identity(team_id, "Fake") | {"user_id": "UBOT", "bot_id": "BBOT"}}
        self.app_token: str | None = None
        self.socket_url: Callable[[], str] | None = None
        self.oauth_client: tuple[str, str] | None = None
        self.redirect_uri: str | None = None
        self._codes: dict[str, dict[str, str]] = {}
        self.calls: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self.uploads: dict[str, bytes] = {}
        self.fail: dict[str, str] = {}  # method → error to answer with
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        handler = type("Handler", (_Handler,), {"fake": self})
        server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 256, "daemon_threads": True})
        self.server = server_class(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = self.url + "/api/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def _identity(team_id: str, team: str) -> dict[str, Any]:
        return {"url": f"https://{team.lower()}.slack.com/", "team": team, "user": "opledger", "team_id": team_id,
                "user_id": f"UBOT{team_id}", "bot_id": f"BBOT{team_id}"}

    def socket_mode(self, app_token: str, url: Callable[[], str]) -> None:
        """Answer apps.connections.open (called with the app-level token) with ``url()``."""
        self.app_token, self.socket_url = app_token, url

    def oauth_app(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        """The app as registered with Slack: its credentials and its one allowed redirect URL."""
        self.oauth_client, self.redirect_uri = (client_id, client_secret), redirect_uri

    def token_of(self, team_id: str) -> str:
        return next(t for t, who in self.tokens.items() if who["team_id"] == team_id and t != self.token)

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---------------------------------------------------------------- reading what was received
    def called(self, method: str, where: Callable[[dict[str, Any]], bool] = lambda p: True) -> list[dict[str, Any]]:
        with self._lock:
            return [c["params"] for c in self.calls if c["method"] == method and where(c["params"])]

    def wait_for(self, method: str, where: Callable[[dict[str, Any]], bool] = lambda p: True, count: int = 1, timeout: float = 15) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.called(method, where)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"fake Slack: expected {count} {method} call(s), got {len(self.called(method, where))}; "
                             f"methods seen: {[c['method'] for c in self.calls][-20:]}")

    # ---------------------------------------------------------------- answering
    def record(self, method: str, params: dict[str, Any], token: str | None) -> None:
        problems = []
        if method in MESSAGE_METHODS and isinstance(params.get("blocks"), list):
            problems = block_kit_problems(params["blocks"], 50)
        if method in MESSAGE_METHODS and len(params.get("text") or "") > 40000:
            problems.append("text > 40000")
        if method in VIEW_METHODS:
            view = params.get("view") or {}
            problems = block_kit_problems(view.get("blocks", []), 100)
            if len((view.get("title") or {}).get("text", "")) > 24:
                problems.append("view title > 24 characters")
            if len(view.get("private_metadata") or "") > 3000:
                problems.append("private_metadata > 3000")
        with self._lock:
            self.calls.append({"method": method, "params": params, "token": token})
            self.violations += [f"{method}: {p}" for p in problems]

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method in self.fail:
            return {"ok": False, "error": self.fail[method]}
        ts = f"1700000000.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, **self.tokens[params["_token"]]}
        if method == "chat.postMessage":
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.getPermalink":
            return {"ok": True, "channel": params.get("channel"),
                    "permalink": f"https://fake.slack.com/archives/{params.get('channel')}/p{str(params.get('message_ts')).replace('.', '')}"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users"))}}
        if method in VIEW_METHODS:
            return {"ok": True, "view": {"id": f"V{next(self._ids):08d}", **(params.get("view") or {})}}
        if method == "files.getUploadURLExternal":
            if not params.get("filename") or not int(params.get("length") or 0):
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._ids):08d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = params.get("files") or []
            missing = [f["id"] for f in files if f["id"] not in self.uploads]
            if not files or missing:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": False, "error": "unknown_method"}

    # ---------------------------------------------------------------- Socket Mode and OAuth
    def connections_open(self, token: str | None) -> dict[str, Any]:
        if self.app_token is None or self.socket_url is None:
            return {"ok": False, "error": "unknown_method"}
        if token != self.app_token:
            # Slack wants the app-level token (xapp-) here, never a bot token.
            return {"ok": False, "error": "not_allowed_token_type" if token in self.tokens else "invalid_auth"}
        return {"ok": True, "url": self.socket_url()}

    def consent(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        """Slack's consent page, already approved by the user for workspace ``team``: a redirect with a code."""
        if self.oauth_client is None or query.get("client_id") != self.oauth_client[0]:
            return 400, {"error": "invalid_client_id"}
        redirect = query.get("redirect_uri") or self.redirect_uri
        if redirect != self.redirect_uri or not query.get("team"):
            return 400, {"error": "bad_redirect_uri" if redirect != self.redirect_uri else "choose a workspace"}
        code = f"code-{next(self._ids)}"
        with self._lock:
            self._codes[code] = {"team": query["team"], "scope": query.get("scope", ""), "redirect_uri": redirect}
        return 302, {"Location": f"{redirect}?{urlencode({'code': code, 'state': query.get('state', '')})}"}

    def oauth_access(self, params: dict[str, Any], basic: str | None) -> dict[str, Any]:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if basic:
            client_id, _, client_secret = base64.b64decode(basic).decode().partition(":")
        if self.oauth_client is None or (client_id, client_secret) != self.oauth_client:
            return {"ok": False, "error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(str(params.get("code")), None)  # a code works once
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        if params.get("redirect_uri") and params["redirect_uri"] != grant["redirect_uri"]:
            return {"ok": False, "error": "bad_redirect_uri"}
        team = grant["team"]
        token = f"xoxb-{team}-{next(self._ids)}-oauthTESTtoken"
        with self._lock:
            self.tokens[token] = self._identity(team, f"Workspace{team}")
        who = self.tokens[token]
        return {"ok": True, "access_token": token, "token_type": "bot", "scope": grant["scope"], "bot_user_id": who["user_id"],
                "app_id": "A0OPLEDGER", "team": {"id": team, "name": who["team"]}, "enterprise": None,
                "is_enterprise_install": False, "authed_user": {"id": f"UINSTALLER{team}"}}


def _decode(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/oauth/v2/authorize":
            self._reply(404, {"ok": False, "error": "not_found"})
            return
        query = dict(parse_qsl(url.query))
        self.fake.record("oauth.authorize", query, None)
        status, headers = self.fake.consent(query)
        if status != 302:
            self._reply(status, {"ok": False, **headers})
            return
        self.send_response(302)
        self.send_header("Location", headers["Location"])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake = self.fake
        if self.path.startswith("/upload/"):
            file_id = self.path.rsplit("/", 1)[1]
            with fake._lock:
                fake.uploads[file_id] = raw
            fake.record("upload", {"file_id": file_id, "size": len(raw)}, None)
            self._reply(200, {"ok": True})
            return
        if self.path.startswith("/respond/"):
            params = json.loads(raw or b"{}")
            fake.record("response_url", params | {"_path": self.path}, None)
            self._reply(200, {"ok": True})
            return
        if not self.path.startswith("/api/"):
            self._reply(404, {"ok": False, "error": "not_found"})
            return
        method = self.path[len("/api/"):].split("?")[0]
        if "json" in (self.headers.get("Content-Type") or ""):
            params = json.loads(raw or b"{}")
        else:
            params = {k: _decode(v) for k, v in parse_qsl(raw.decode())}
        authorization = self.headers.get("Authorization") or ""
        basic = authorization.removeprefix("Basic ") if authorization.startswith("Basic ") else None
        token = None if basic else authorization.removeprefix("Bearer ") or params.get("token")
        fake.record(method, params, token)
        if method == "oauth.v2.access":
            self._reply(200, fake.oauth_access(params, basic))
            return
        if method == "apps.connections.open":
            self._reply(200, fake.connections_open(token))
            return
        if token not in fake.tokens:
            self._reply(200, {"ok": False, "error": "invalid_auth"})
            return
        self._reply(200, fake.answer(method, params | {"_token": token}))
