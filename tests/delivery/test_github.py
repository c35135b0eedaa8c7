"""``opledger import github`` against a fake GitHub REST API on loopback: pagination, a 403
rate limit then retry, ETag revalidation, reviews → review entries and bounces, the gate."""

from __future__ import annotations

from decimal import Decimal

from .conftest import pull, review

MERGE_SHA = "9f" * 20


def serve_shop(fake) -> None:
    fake.pages["/repos/acme/shop/pulls"] = [
        [pull(7, branch="feature/abc-123-login", title="Add login form", created="2026-03-02T12:00:00Z",
              merged="2026-03-03T15:00:00Z", merge_sha=MERGE_SHA, updated="2026-03-03T15:00:00Z")],
        [pull(8, branch="try-cache", title="Cache the catalogue", created="2026-03-01T10:00:00Z", closed="2026-03-01T18:00:00Z",
              body="An experiment.\n\nFixes #42", updated="2026-03-01T18:00:00Z")],
    ]
    fake.rate_limit_once.add("/repos/acme/shop/pulls")
    fake.routes["/repos/acme/shop/pulls/7/reviews"] = [
        review(71, "bob", "CHANGES_REQUESTED", "2026-03-02T14:00:00Z"),
        review(72, "ada", "COMMENTED", "2026-03-02T15:00:00Z"),  # the author's reply
        review(73, "bob", "CHANGES_REQUESTED", "2026-03-02T18:00:00Z"),
        review(74, "bob", "APPROVED", "2026-03-03T10:00:00Z"),
    ]
    fake.routes["/repos/acme/shop/pulls/7/comments"] = [{"id": i, "pull_request_review_id": 71, "body": "x"} for i in range(6)]
    fake.routes["/repos/acme/shop/issues/7/events"] = [
        {"id": 1, "event": "review_requested", "created_at": "2026-03-02T13:50:00Z", "requested_reviewer": {"login": "bob"}},
        {"id": 2, "event": "review_requested", "created_at": "2026-03-03T09:58:00Z", "requested_reviewer": {"login": "bob"}},
    ]
    fake.routes[f"/repos/acme/shop/commits/{MERGE_SHA}/check-runs"] = {
        "total_count": 2,
        "check_runs": [{"id": 1, "name": "tests", "status": "completed", "conclusion": "success"},
                       {"id": 2, "name": "lint", "status": "completed", "conclusion": "success"}],
    }
    for number in (8,):
        fake.routes[f"/repos/acme/shop/pulls/{number}/reviews"] = []
        fake.routes[f"/repos/acme/shop/pulls/{number}/comments"] = []
        fake.routes[f"/repos/acme/shop/issues/{number}/events"] = []


def test_pull_requests_reviews_bounces_and_gate(fake_github, opledger, opledger_json, stored, ledger_env):
    serve_shop(fake_github)
    env = ledger_env | {"GITHUB_TOKEN": fake_github.token, "OPLEDGER_GITHUB_API": fake_github.url}
    result = opledger("import", "github", "acme/shop", env=env)
    assert "skipped review 72 on acme/shop#7: the author's own reply" in result.stdout
    assert ("/repos/acme/shop/pulls", 403) in fake_github.log  # rate limited once, then retried
    assert fake_github.log.count(("/repos/acme/shop/pulls", 200)) == 2  # two pages

    wf = stored.workflow("ABC-123")
    assert [t["state"] for t in wf["transitions"]] == ["open", "in_review", "merged", "verified"]
    assert wf["title"] == "Add login form" and wf["repo"] == "acme/shop"
    assert wf["evidence"]["kind"] == "gate" and wf["evidence"]["reviewer"] == "bob"
    assert MERGE_SHA in wf["evidence"]["ref"] and set(wf["evidence"]["tests"]) == {"lint", "tests"}

    entries = stored.entries("ABC-123")
    reviews = {e["source_ref"].rsplit("/", 1)[-1]: e for e in entries if e["line"] == "review"}
    assert set(reviews) == {"71", "73", "74"}
    # Review 71 had 6 comments: deep (60 min) but bob had only 10 min since the request.
    assert Decimal(reviews["71"]["minutes"]) == 10 and reviews["71"]["attrs"]["depth"] == "deep"
    # Review 73: standard (30 min), well inside the time since the request.
    assert Decimal(reviews["73"]["minutes"]) == 30
    # Review 74 approved, light (10 min) but only 2 min after bob was asked again.
    assert Decimal(reviews["74"]["minutes"]) == 2 and reviews["74"]["attrs"]["state"] == "approved"
    # Priced by role: mid 85 $/h × focus 1.25.
    assert Decimal(reviews["73"]["cost_usd"]) == Decimal("53.125")
    bounces = [e for e in entries if e["line"] == "rework" and e["kind"] == "bounce"]
    assert len(bounces) == 2 and all(b["count"] == 1 and b["actor"] == "bob" for b in bounces)
    stored_bytes = str(stored.entries()).encode()
    assert b"please rename the helper" not in stored_bytes

    closed = stored.workflow("shop#42")  # no tracker key; "Fixes #42" in the body
    assert closed["state"] == "abandoned" and closed["branch"] == "try-cache"

    audit = opledger_json("audit", "ABC-123", "--format", "json")
    assert audit["metrics"]["bounces_per_workflow"] == 2


def test_reimport_is_idempotent_and_revalidates_with_etags(fake_github, opledger, stored, ledger_env):
    serve_shop(fake_github)
    env = ledger_env | {"GITHUB_TOKEN": fake_github.token, "OPLEDGER_GITHUB_API": fake_github.url}
    opledger("import", "github", "acme/shop", env=env)
    before = len(stored.entries())
    fake_github.log.clear()
    again = opledger("import", "github", "acme/shop", "--json", env=env)
    assert len(stored.entries()) == before
    assert '"stored": 0' in again.stdout
    assert fake_github.log and all(status == 304 for _, status in fake_github.log)


def test_since_stops_paging_at_older_pull_requests(fake_github, opledger_json, stored, ledger_env):
    serve_shop(fake_github)
    env = ledger_env | {"GITHUB_TOKEN": fake_github.token, "OPLEDGER_GITHUB_API": fake_github.url}
    report = opledger_json("import", "github", "acme/shop", "--since", "2026-03-02", "--json", env=env)
    assert report["workflows"] == ["ABC-123"]
    assert not any(path == "/repos/acme/shop/pulls/8/reviews" for path, _ in fake_github.log)


def test_bad_token_and_bad_repo_are_clear_errors(fake_github, opledger, ledger_env):
    env = ledger_env | {"GITHUB_TOKEN": "wrong", "OPLEDGER_GITHUB_API": fake_github.url}
    result = opledger("import", "github", "acme/shop", env=env, check=False)
    assert result.returncode == 2 and "refused the token" in result.stderr and "wrong" not in result.stderr
    result = opledger("import", "github", "not-a-repo", env=env, check=False)
    assert result.returncode == 2 and "OWNER/NAME" in result.stderr
