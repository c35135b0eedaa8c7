"""Delivery-signal importers, as ratios against a baseline measured in the same run.

1. JUnit: ``parse_junit`` on a 5,000-test report vs. the bare defusedxml parse of the same bytes
   (the cost of our counting and validation on top of XML parsing).
2. GitHub: importing 40 pull requests (reviews, comments, events, check runs) from an in-process
   fake API, first run vs. an ETag-revalidated re-run (what a scheduled re-import costs).

Run: ``python -m benchmarks.delivery``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import httpx
from defusedxml.ElementTree import fromstring

from benchmarks.machine import machine_line
from ledger_core.config import Settings
from ledger_core.importers.github import GitHubClient, import_github
from ledger_core.importers.junit import parse_junit
from ledger_core.store import open_store


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def junit_report(tests: int) -> bytes:
    failure = '<failure message="x"/>'
    cases = "".join(
        f'<testcase classname="pkg.mod{i % 50}" name="test_{i}" time="0.01">{failure if i % 97 == 0 else ""}</testcase>'
        for i in range(tests)
    )
    return f'<testsuites><testsuite name="all" tests="{tests}" time="50">{cases}</testsuite></testsuites>'.encode()


def fake_api(pulls: int) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/pulls"):
            body = [{"number": n, "title": f"PR {n}", "head": {"ref": f"feature/abc-{n}-x"}, "user": {"login": "ada"},
                     "created_at": "2026-03-02T12:00:00Z", "updated_at": "2026-03-03T15:00:00Z", "merged_at": "2026-03-03T15:00:00Z",
                     "merge_commit_sha": f"{n:040x}", "html_url": f"https://github.com/acme/shop/pull/{n}"} for n in range(1, pulls + 1)]
        elif path.endswith("/reviews"):
            body = [{"id": i, "user": {"login": "bob"}, "state": s, "submitted_at": f"2026-03-0{2 + i}T14:00:00Z"}
                    for i, s in enumerate(["CHANGES_REQUESTED", "APPROVED"])]
        elif path.endswith("/check-runs"):
            body = {"total_count": 1, "check_runs": [{"name": "tests", "conclusion": "success"}]}
        else:
            body = []
        data = json.dumps(body).encode()
        etag = f'"{hash(data)}"'
        if request.headers.get("If-None-Match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(200, content=data, headers={"ETag": etag, "Content-Type": "application/json"})

    return httpx.MockTransport(handler)


def github_runs(pulls: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "store"))
        settings = Settings(store=str(Path(tmp) / "store"))
        transport = fake_api(pulls)
        client = GitHubClient(store, api="https://api.github.test", token="t", transport=transport)
        start = time.perf_counter()
        import_github(store, settings, "acme/shop", client=client)
        first = time.perf_counter() - start
        client = GitHubClient(store, api="https://api.github.test", token="t", transport=transport)
        start = time.perf_counter()
        import_github(store, settings, "acme/shop", client=client)
        again = time.perf_counter() - start
        return first, again, client.cache_hits


def main() -> None:
    data = junit_report(5000)
    base = best(lambda: fromstring(data))
    ours = best(lambda: parse_junit(data))
    first, again, hits = github_runs(40)
    print(f"machine: {machine_line()}")
    print(f"junit 5,000 tests: defusedxml parse {base * 1000:.1f} ms · parse_junit {ours * 1000:.1f} ms · ratio {ours / base:.2f}×")
    print(f"github 40 PRs: first import {first:.2f} s · ETag re-import {again:.2f} s ({hits} cached pages) · ratio {again / first:.2f}×")


if __name__ == "__main__":
    main()
