"""Fixtures for the delivery-signal tests: a real git repository built in the test and a fake
GitHub REST API on loopback serving recorded, real-shaped responses."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull, "GIT_TERMINAL_PROMPT": "0"}


class Repo:
    """A throw-away git repository with fixed authors and dates."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, at: str = "2026-03-02T09:00:00+00:00", author: str = "Ada Dev") -> str:
        env = os.environ | GIT_ENV | {
            "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": "ada@example.com", "GIT_AUTHOR_DATE": at, "GIT_COMMITTER_DATE": at,
        }
        return subprocess.run(["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()

    def commit(self, files: dict[str, str], message: str, *, at: str, author: str = "Ada Dev") -> str:
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            self.git("add", name, at=at)
        self.git("commit", "-q", "-m", message, at=at, author=author)
        return self.git("rev-parse", "HEAD")

    def merge(self, branch: str, message: str, *, at: str, author: str = "Mia Maintainer") -> str:
        self.git("checkout", "-q", "main", at=at)
        self.git("merge", "-q", "--no-ff", branch, "-m", message, at=at, author=author)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "shop")


def build_feature_repo(repo: Repo) -> dict[str, str]:
    """main ← feature/abc-123-login (agent co-authored, touches auth code and docs), plus an
    unmerged payments branch. Returns the interesting SHAs."""
    repo.commit({"README.md": "# shop\n", "src/app.py": "print('hi')\n"}, "Initial commit", at="2026-03-01T08:00:00+00:00")
    repo.git("checkout", "-q", "-b", "feature/abc-123-login")
    first = repo.commit(
        {"src/auth/login.py": "def login(user):\n    return True\n"},
        "Add login\n\nBODY-SECRET-TEXT: the reasoning behind it.\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        at="2026-03-02T09:00:00+00:00",
    )
    second = repo.commit({"docs/login.md": "# Login\n", "src/app.py": "print('login')\n"}, "Document login", at="2026-03-02T11:00:00+00:00")
    merge = repo.merge(
        "feature/abc-123-login", "Merge pull request #7 from acme/feature/abc-123-login\n\nAdd login form\n\nMERGE-BODY-SECRET",
        at="2026-03-03T15:00:00+00:00",
    )
    repo.git("checkout", "-q", "-b", "wip-payments")
    payments = repo.commit(
        {"services/payments/charge.py": "AMOUNT = 1\n"}, "Charge\n\nCo-authored-by: Codex <codex@openai.com>", at="2026-03-04T10:00:00+00:00"
    )
    repo.git("checkout", "-q", "main")
    return {"first": first, "second": second, "merge": merge, "payments": payments}


# --------------------------------------------------------------------------- fake GitHub
@dataclass
class FakeGitHub:
    """Routes → JSON bodies, with Link pagination, ETags, and a scripted rate limit."""

    routes: dict[str, object] = field(default_factory=dict)
    pages: dict[str, list[object]] = field(default_factory=dict)
    rate_limit_once: set[str] = field(default_factory=set)
    token: str = "test-token"
    log: list[tuple[str, int]] = field(default_factory=list)
    url: str = ""

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(handler.path)
        query = parse_qs(parsed.query)
        path = parsed.path
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return self._send(handler, path, 401, {"message": "Bad credentials"})
        if path in self.rate_limit_once:
            self.rate_limit_once.discard(path)
            return self._send(handler, path, 403, {"message": "API rate limit exceeded"},
                              {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 1)})
        headers = {}
        if path in self.pages:
            number = int(query.get("page", ["1"])[0])
            body = self.pages[path][number - 1]
            if number < len(self.pages[path]):
                rest = {k: v[0] for k, v in query.items() if k != "page"}
                following = "&".join(f"{k}={v}" for k, v in rest.items())
                headers["Link"] = f'<{self.url}{path}?{following}&page={number + 1}>; rel="next"'
        elif path in self.routes:
            body = self.routes[path]
        else:
            return self._send(handler, path, 404, {"message": "Not Found"})
        payload = json.dumps(body).encode()
        etag = f'"{abs(hash(payload))}"'
        if handler.headers.get("If-None-Match") == etag:
            return self._send(handler, path, 304, None, {"ETag": etag} | headers)
        self._send(handler, path, 200, body, {"ETag": etag} | headers)

    def _send(self, handler, path, status, body, headers=None) -> None:
        self.log.append((path, status))
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        data = json.dumps(body).encode() if body is not None else b""
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


@pytest.fixture
def fake_github():
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            fake.respond(self)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def user(login: str) -> dict:
    return {"login": login, "id": abs(hash(login)) % 10**6, "type": "User"}


def pull(number: int, *, branch: str, title: str, created: str, merged: str | None = None, closed: str | None = None,
         merge_sha: str | None = None, body: str | None = None, author: str = "ada", updated: str | None = None) -> dict:
    """A pull request as GitHub's REST API returns it (the fields the importer reads and more)."""
    return {
        "url": f"https://api.github.com/repos/acme/shop/pulls/{number}", "id": 1000 + number, "number": number,
        "html_url": f"https://github.com/acme/shop/pull/{number}", "state": "closed" if closed or merged else "open",
        "locked": False, "title": title, "user": user(author), "body": body, "draft": False,
        "created_at": created, "updated_at": updated or merged or closed or created, "closed_at": closed or merged,
        "merged_at": merged, "merge_commit_sha": merge_sha or "0" * 40,
        "head": {"label": f"acme:{branch}", "ref": branch, "sha": "1" * 40}, "base": {"label": "acme:main", "ref": "main", "sha": "2" * 40},
        "author_association": "MEMBER", "requested_reviewers": [],
    }


def review(review_id: int, login: str, state: str, submitted: str) -> dict:
    return {"id": review_id, "node_id": f"PRR_{review_id}", "user": user(login), "body": "please rename the helper",
            "state": state, "submitted_at": submitted, "commit_id": "1" * 40, "author_association": "MEMBER"}


@pytest.fixture
def stored(tmp_path: Path):
    """Read what the CLI wrote, straight from the store directory (entries with their attrs)."""
    from ledger_core.store import open_store

    class Reader:
        def entries(self, key: str | None = None) -> list[dict]:
            store = open_store(str(tmp_path / "store"))
            return [e.model_dump(mode="json") for e in store.entries(workflow=key)]

        def workflow(self, key: str) -> dict:
            return open_store(str(tmp_path / "store")).get_workflow(key).model_dump(mode="json")

    return Reader()
