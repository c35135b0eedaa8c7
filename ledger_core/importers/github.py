"""GitHub pull requests → workflow lifecycle, review entries, bounces and the verification gate.

Two ways in, one set of rules (``apply_pull_request`` / ``apply_review``): the REST importer
(``opledger import github OWNER/REPO``) and the webhook receiver (``ledger_core.webhooks``).

* PR opened → workflow (key: see ``delivery.workflow_key``) ``in_review`` at its creation;
  merged → ``merged``; closed unmerged → ``abandoned``.
* each submitted review → a ``review`` entry: the reviewer's minutes are the configured
  estimate for the review's depth (``settings.review_depth_minutes``), capped by the time from
  the review request (or the PR's opening) to the submission, priced by the reviewer's role.
* each "changes requested" → a ``rework`` entry of kind ``bounce`` (count 1).
* merged PRs: the check runs on the merge commit go through ``ledger_core.gate``.

PR bodies and review texts are never stored: only the keys they link to, counts and times.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict

from .. import ledger
from ..config import Settings
from ..errors import InvalidInput, LedgerError
from ..gate import GateDecision, apply_gate
from ..models import Line, WorkflowState
from ..store import Store
from .delivery import CLOSING, ImportReport, advance, ensure, remember, workflow_key

SOURCE = "github"
DEFAULT_API = "https://api.github.com"
DEEP_REVIEW_COMMENTS = 5


class PullRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    repo: str  # owner/name
    number: int
    title: str | None = None
    branch: str | None = None
    author: str | None = None
    created_at: datetime
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    merged_by: str | None = None
    merge_sha: str | None = None
    url: str | None = None
    closes: tuple[int, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.repo}#{self.number}"

    @property
    def key(self) -> str:
        closes = " ".join(f"fixes #{n}" for n in self.closes)
        key = workflow_key(branch=self.branch, title=self.title, body=closes, repo=self.repo.split("/")[-1])
        return key or f"{self.repo.split('/')[-1]}#{self.number}"


class Review(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    reviewer: str | None
    state: str  # approved | changes_requested | commented | dismissed | pending
    submitted_at: datetime | None
    comments: int = 0
    requested_at: datetime | None = None


def _login(user: Any) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) and value else None


def slim_pull(raw: dict, repo: str) -> dict:
    """The fields of a REST/webhook pull request the ledger uses (the body is reduced to the
    issue numbers it closes, so no PR text is kept, not even in the ETag cache)."""
    try:
        return PullRequest(
            repo=repo,
            number=int(raw["number"]),
            title=raw.get("title"),
            branch=(raw.get("head") or {}).get("ref"),
            author=_login(raw.get("user")),
            created_at=_time(raw.get("created_at")),
            merged_at=_time(raw.get("merged_at")),
            closed_at=_time(raw.get("closed_at")),
            merged_by=_login(raw.get("merged_by")),
            merge_sha=raw.get("merge_commit_sha") if raw.get("merged_at") else None,
            url=raw.get("html_url"),
            closes=tuple(int(m.group(1)) for m in CLOSING.finditer(raw.get("body") or "")),
        ).model_dump(mode="json") | {"updated_at": raw.get("updated_at")}
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"pull request of {repo} is malformed: {exc}") from exc


def slim_review(raw: dict) -> dict:
    return {"id": raw.get("id"), "reviewer": _login(raw.get("user")), "state": str(raw.get("state") or "").lower(), "submitted_at": raw.get("submitted_at")}


def review_minutes(settings: Settings, pr: PullRequest, review: Review) -> tuple[str, Decimal, Decimal | None]:
    """(depth, minutes, upper bound): the depth's estimate, never more than the time the reviewer had."""
    if review.comments >= DEEP_REVIEW_COMMENTS:
        depth = "deep"
    elif review.comments or review.state == "changes_requested":
        depth = "standard"
    else:
        depth = "light"
    estimate = Decimal(settings.review_depth_minutes.get(depth, settings.review_minutes_cap))
    start = review.requested_at or pr.created_at
    bound = None
    if review.submitted_at is not None and review.submitted_at >= start:
        bound = Decimal(int((review.submitted_at - start).total_seconds())) / 60
        bound = bound.quantize(Decimal("0.01"))
    return depth, min(estimate, bound) if bound is not None else estimate, bound


# --------------------------------------------------------------------------- applying events
def apply_pull_request(store: Store, settings: Settings, pr: PullRequest, report: ImportReport) -> str:
    key = pr.key
    ensure(store, key, report, at=pr.created_at, title=pr.title, repo=pr.repo, branch=pr.branch, owner=pr.author)
    remember(store, key, pr_urls=[pr.url] if pr.url else None, merge_commit=pr.merge_sha, pull_requests=[pr.ref])
    advance(store, key, WorkflowState.IN_REVIEW, pr.created_at, report, actor=pr.author)
    if pr.merged_at is not None:
        advance(store, key, WorkflowState.MERGED, pr.merged_at, report, actor=pr.merged_by)
    elif pr.closed_at is not None:
        advance(store, key, WorkflowState.ABANDONED, pr.closed_at, report, actor=pr.author)
    return key


def apply_review(store: Store, settings: Settings, pr: PullRequest, review: Review, report: ImportReport) -> None:
    what = f"review {review.id} on {pr.ref}"
    if review.submitted_at is None or review.state == "pending":
        report.skip(what, "not submitted")
        return
    if review.reviewer and review.reviewer == pr.author:
        report.skip(what, "the author's own reply, not a review")
        return
    key = pr.key
    depth, minutes, bound = review_minutes(settings, pr, review)
    attrs = {"pr": pr.ref, "state": review.state, "depth": depth, "comments": review.comments,
             "upper_bound_minutes": str(bound) if bound is not None else None}
    report.add(ledger.record(
        store, settings, Line.REVIEW, key, minutes=minutes, kind="review", actor=review.reviewer, at=review.submitted_at,
        source=SOURCE, source_ref=f"{pr.ref}/review/{review.id}", attrs=attrs,
    ))
    if review.state == "changes_requested":
        report.add(ledger.record(
            store, settings, Line.REWORK, key, count=1, kind="bounce", actor=review.reviewer, at=review.submitted_at,
            source=SOURCE, source_ref=f"{pr.ref}/review/{review.id}/bounce", attrs={"pr": pr.ref, "reason": "changes_requested"},
        ))


def gate_merged(store: Store, settings: Settings, pr: PullRequest, checks: dict[str, str], report: ImportReport) -> GateDecision | None:
    if pr.merged_at is None or not pr.merge_sha:
        return None
    decision = apply_gate(store, settings, pr.key, pr.merge_sha, checks, pr.merged_at)
    if decision.passed and "already verified" not in decision.reasons:
        report.transitions.append(f"{pr.key}: merged → verified by the gate ({decision.evidence.ref if decision.evidence else ''})")
    elif not decision.passed:
        report.skip(f"gate for {pr.key}", "; ".join(decision.reasons))
    return decision


# --------------------------------------------------------------------------- REST client
class GitHubClient:
    """GET-only REST client: pagination (Link), ETag caching in the store, rate-limit waits."""

    def __init__(self, store: Store, *, api: str = DEFAULT_API, token: str | None = None, max_wait: float = 120.0,
                 sleep: Callable[[float], None] = time.sleep, transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "opledger"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=api.rstrip("/"), headers=headers, timeout=30, transport=transport)
        self.store, self.max_wait, self.sleep = store, max_wait, sleep
        self.requests = 0
        self.cache_hits = 0

    def close(self) -> None:
        self.http.close()

    def pages(self, path: str, params: dict[str, Any] | None = None, *, slim: Callable[[dict], dict], items: str | None = None) -> Iterator[list[dict]]:
        url: str | None = f"{path}?{urlencode(params)}" if params else path
        while url:
            data, url = self._get(url, slim, items)
            yield data

    def _get(self, url: str, slim: Callable[[dict], dict], items: str | None) -> tuple[list[dict], str | None]:
        cache_key = f"{self.http.base_url}{url}"
        cached = self.store.kv_get("github-etag", cache_key)
        for attempt in range(4):
            headers = {"If-None-Match": cached["etag"]} if cached else {}
            try:
                response = self.http.get(url, headers=headers)
            except httpx.HTTPError as exc:
                raise LedgerError(f"GitHub API {self.http.base_url} unreachable: {exc}") from exc
            self.requests += 1
            if response.status_code in (403, 429) and self._rate_limited(response, attempt):
                continue
            break
        if response.status_code == 304 and cached:
            self.cache_hits += 1
            return cached["data"], cached["next"]
        if response.status_code == 401:
            raise LedgerError("GitHub refused the token (401): set GITHUB_TOKEN to a token that can read the repository")
        if response.status_code == 404:
            raise InvalidInput(f"GitHub has no {url.split('?')[0]} (404): check OWNER/REPO and the token's access")
        if response.status_code >= 400:
            raise LedgerError(f"GitHub API error {response.status_code} on {url.split('?')[0]}")
        try:
            body = response.json()
        except ValueError as exc:
            raise LedgerError(f"GitHub API returned non-JSON for {url.split('?')[0]}") from exc
        raw = body.get(items, []) if items and isinstance(body, dict) else body
        if not isinstance(raw, list):
            raise LedgerError(f"GitHub API returned an unexpected shape for {url.split('?')[0]}")
        data = [slim(item) for item in raw if isinstance(item, dict)]
        next_url = response.links.get("next", {}).get("url")
        if next_url and next_url.startswith(str(self.http.base_url)):
            next_url = next_url[len(str(self.http.base_url)):]
        if response.headers.get("ETag"):
            self.store.kv_set("github-etag", cache_key, {"etag": response.headers["ETag"], "data": data, "next": next_url})
        return data, next_url

    def _rate_limited(self, response: httpx.Response, attempt: int) -> bool:
        """Wait out a primary or secondary rate limit and say to retry; False if it is not one."""
        remaining = response.headers.get("X-RateLimit-Remaining")
        retry_after = response.headers.get("Retry-After")
        if remaining != "0" and retry_after is None:
            return False
        if retry_after is not None and retry_after.isdigit():
            wait = float(retry_after)
        else:
            reset = response.headers.get("X-RateLimit-Reset", "")
            wait = max(float(reset) - time.time(), 1.0) if reset.isdigit() else 60.0
        if attempt >= 3 or wait > self.max_wait:
            raise LedgerError(f"GitHub rate limit reached; retry in {int(wait)} s (or raise the limit with a token)")
        self.sleep(wait)
        return True


def _requested_times(client: GitHubClient, repo: str, number: int) -> dict[str, list[datetime]]:
    times: dict[str, list[datetime]] = {}
    slim = lambda e: {"event": e.get("event"), "reviewer": _login(e.get("requested_reviewer")), "at": e.get("created_at")}  # noqa: E731
    for page in client.pages(f"/repos/{repo}/issues/{number}/events", {"per_page": 100}, slim=slim):
        for event in page:
            if event["event"] == "review_requested" and event["reviewer"] and event["at"]:
                times.setdefault(event["reviewer"], []).append(_time(event["at"]))
    return times


def last_request(requests: list[datetime], submitted: datetime | None) -> datetime | None:
    """The latest review request before a submission: the clock of that review round."""
    earlier = [r for r in requests if submitted is None or r <= submitted]
    return max(earlier) if earlier else None


def import_github(store: Store, settings: Settings, repo: str, *, since: datetime | None = None, client: GitHubClient) -> ImportReport:
    """Import the pull requests of ``repo`` (OWNER/NAME) updated since ``since``; idempotent."""
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise InvalidInput(f"repository must be OWNER/NAME, got {repo!r}")
    report = ImportReport(source=SOURCE)
    pulls: list[PullRequest] = []
    params = {"state": "all", "sort": "updated", "direction": "desc", "per_page": 100}
    for page in client.pages(f"/repos/{repo}/pulls", params, slim=lambda raw: slim_pull(raw, repo)):
        fresh = [p for p in page if not (since and _time(p.get("updated_at")) and _time(p["updated_at"]) < since)]
        pulls += [PullRequest.model_validate({k: v for k, v in p.items() if k != "updated_at"}) for p in fresh]
        if len(fresh) < len(page):
            break  # sorted by update time: the rest is older than --since
    for pr in sorted(pulls, key=lambda p: p.created_at):
        apply_pull_request(store, settings, pr, report)
        comments = Counter()
        for page in client.pages(f"/repos/{repo}/pulls/{pr.number}/comments", {"per_page": 100}, slim=lambda c: {"review": c.get("pull_request_review_id")}):
            comments.update(c["review"] for c in page if c["review"])
        requested = _requested_times(client, repo, pr.number)
        for page in client.pages(f"/repos/{repo}/pulls/{pr.number}/reviews", {"per_page": 100}, slim=slim_review):
            for raw in page:
                submitted = _time(raw["submitted_at"])
                review = Review(id=raw["id"], reviewer=raw["reviewer"], state=raw["state"], submitted_at=submitted,
                                comments=comments.get(raw["id"], 0), requested_at=last_request(requested.get(raw["reviewer"] or "", []), submitted))
                apply_review(store, settings, pr, review, report)
        if pr.merged_at is not None and pr.merge_sha:
            checks: dict[str, str] = {}
            slim = lambda c: {"name": c.get("name"), "conclusion": c.get("conclusion") or c.get("status")}  # noqa: E731
            for page in client.pages(f"/repos/{repo}/commits/{pr.merge_sha}/check-runs", {"per_page": 100}, slim=slim, items="check_runs"):
                checks.update({c["name"]: c["conclusion"] for c in page if c["name"]})
            gate_merged(store, settings, pr, checks, report)
    return report
