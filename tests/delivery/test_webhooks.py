"""``opledger webhooks serve``: signed GitHub deliveries over HTTP onto the ledger."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import pull, review, user

OPLEDGER = str(Path(sys.executable).with_name("opledger"))
SECRET = "s3cret-for-tests"
MERGE_SHA = "ab" * 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(ledger_env):
    port = free_port()
    env = ledger_env | {"OPLEDGER_GITHUB_WEBHOOK_SECRET": SECRET}
    proc = subprocess.Popen([OPLEDGER, "webhooks", "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"webhook server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def send(url: str, event: str, delivery: str, payload: dict, secret: str = SECRET) -> httpx.Response:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    return httpx.post(f"{url}/github/webhook", content=body, headers=headers, timeout=30)


REPO = {"id": 1, "name": "shop", "full_name": "acme/shop", "private": True, "owner": user("acme")}


def pr_event(action: str, **changes) -> dict:
    pr = pull(7, branch="feature/abc-123-login", title="Add login form", created="2026-03-02T12:00:00Z", merge_sha=MERGE_SHA) | changes
    return {"action": action, "number": 7, "pull_request": pr, "repository": REPO, "sender": user("ada")}


def test_signed_lifecycle_with_dedupe_and_gate(server, stored):
    assert send(server, "pull_request", "d1", pr_event("opened")).status_code == 200
    requested = pr_event("review_requested", updated_at="2026-03-02T13:00:00Z") | {"requested_reviewer": user("bob")}
    assert send(server, "pull_request", "d2", requested).status_code == 200
    for delivery, rid, state, at in (("d3", 71, "changes_requested", "2026-03-02T13:20:00Z"), ("d4", 72, "changes_requested", "2026-03-02T16:00:00Z"),
                                     ("d5", 73, "approved", "2026-03-03T10:00:00Z")):
        payload = {"action": "submitted", "review": review(rid, "bob", state, at), "pull_request": pr_event("x")["pull_request"], "repository": REPO}
        response = send(server, "pull_request_review", delivery, payload)
        assert response.status_code == 200, response.text
    # GitHub redelivers d3: answered, nothing added.
    assert send(server, "pull_request_review", "d3", {"action": "submitted"}).json() == {"duplicate": True, "delivery": "d3"}
    merged = pr_event("closed", merged_at="2026-03-03T15:00:00Z", closed_at="2026-03-03T15:00:00Z", state="closed")
    assert send(server, "pull_request", "d6", merged).json()["skipped"][0]["why"].startswith("no check results")
    suite = {"action": "completed", "repository": REPO,
             "check_suite": {"id": 5, "head_sha": MERGE_SHA, "status": "completed", "conclusion": "success", "app": {"name": "GitHub Actions"},
                             "updated_at": "2026-03-03T15:09:00Z"}}
    done = send(server, "check_suite", "d7", suite).json()
    assert done["transitions"] == ["ABC-123: merged → verified by the gate"]

    wf = stored.workflow("ABC-123")
    assert [t["state"] for t in wf["transitions"]] == ["open", "in_review", "merged", "verified"]
    assert wf["evidence"]["kind"] == "gate" and wf["evidence"]["reviewer"] == "bob" and wf["evidence"]["tests"] == ["GitHub Actions"]
    entries = stored.entries("ABC-123")
    assert sum(1 for e in entries if e["kind"] == "bounce") == 2
    first = next(e for e in entries if e["source_ref"] == "acme/shop#7/review/71")
    assert float(first["minutes"]) == 20  # requested 13:00, submitted 13:20: under the 30-min estimate


def test_bad_signature_missing_delivery_and_other_events(server, stored):
    assert send(server, "pull_request", "e1", pr_event("opened"), secret="wrong").status_code == 401
    body = b"{}"
    unsigned = httpx.post(f"{server}/github/webhook", content=body, headers={"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "e2"})
    assert unsigned.status_code == 401
    assert send(server, "push", "e3", {"ref": "refs/heads/main"}).status_code == 202
    assert send(server, "ping", "e4", {"zen": "Keep it logically awesome."}).json()["pong"] is True
    broken = send(server, "pull_request", "e5", {"action": "opened", "repository": REPO})
    assert broken.status_code == 422 and "malformed pull_request payload" in broken.json()["error"]
    # A failed delivery may be redelivered (fixed upstream) and then succeeds.
    assert send(server, "pull_request", "e5", pr_event("opened")).status_code == 200
    assert stored.workflow("ABC-123")["state"] == "in_review"


def test_without_a_secret_everything_is_refused(tmp_path):
    from starlette.testclient import TestClient

    from ledger_core.config import Settings
    from ledger_core.store import open_store
    from ledger_core.webhooks import create_webhook_app

    app = create_webhook_app(Settings(store=str(tmp_path / "s")), open_store(str(tmp_path / "s")))
    with TestClient(app) as client:
        response = client.post("/github/webhook", content=b"{}", headers={"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "x"})
    assert response.status_code == 503 and "not configured" in response.json()["error"]
