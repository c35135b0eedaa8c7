"""``opledger import incident`` with PagerDuty, Opsgenie and generic payloads."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import build_feature_repo


def pagerduty_v3(incident_id: str, *, created: str, service: str, custom: dict | None = None) -> dict:
    return {"event": {
        "id": f"01{incident_id}", "event_type": "incident.triggered", "resource_type": "incident", "occurred_at": created,
        "agent": None, "client": None,
        "data": {"id": incident_id, "type": "incident", "self": f"https://api.pagerduty.com/incidents/{incident_id}",
                 "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}", "number": 2, "status": "triggered",
                 "incident_key": "k", "created_at": created, "title": "Login returns 500", "urgency": "high",
                 "service": {"id": "PSVC", "type": "service_reference", "summary": service},
                 "priority": {"id": "P1ID", "type": "priority_reference", "summary": "P1"},
                 "custom_fields": custom or {}},
    }}


def opsgenie(alert_id: str, *, created_ms: int, tags: list[str], details: dict) -> dict:
    return {"action": "Create", "integrationName": "Webhook",
            "alert": {"alertId": alert_id, "message": "Checkout errors", "tags": tags, "tinyId": "12", "entity": "",
                      "alias": "checkout-errors", "createdAt": created_ms, "userId": "u", "username": "System",
                      "priority": "P2", "details": details, "source": "datadog"},
            "source": {"name": "datadog", "type": "API"}}


def write(tmp_path: Path, name: str, payload) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(payload))
    return str(path)


def test_commit_sha_links_explicitly_and_reimport_adds_nothing(repo, opledger, opledger_json, stored, tmp_path):
    shas = build_feature_repo(repo)
    opledger("import", "git", str(repo.path))
    # Its own payload wins over a service match that would point elsewhere.
    payload = pagerduty_v3("Q1ABC", created="2026-03-04T09:00:00Z", service="shop", custom={"deploy_sha": shas["merge"][:10]})
    report = opledger_json("import", "incident", write(tmp_path, "pd.json", payload), "--remediation-hours", "3", "--json")
    assert report["workflows"] == ["ABC-123"] and report["stored"] == 1
    [entry] = [e for e in stored.entries("ABC-123") if e["line"] == "escaped_defects"]
    assert (entry["kind"], entry["count"], entry["attrs"]["heuristic"], entry["attrs"]["severity"]) == ("incident", 1, False, "P1")
    assert float(entry["minutes"]) == 180 and float(entry["cost_usd"]) == 255.0  # 3 h × mid 85 $/h
    again = opledger_json("import", "incident", write(tmp_path, "pd.json", payload), "--json")
    assert again["stored"] == 0 and again["duplicates"] == 1
    audit = opledger_json("audit", "ABC-123", "--format", "json")
    assert audit["metrics"]["defect_escape_rate"] == 1.0


def test_service_heuristic_picks_the_latest_merge_and_is_marked(repo, opledger, opledger_json, stored, tmp_path):
    build_feature_repo(repo)
    opledger("import", "git", str(repo.path))
    payload = opsgenie("og-1", created_ms=1772614800000, tags=["service:shop", "env:prod"], details={"region": "eu"})  # 2026-03-04T09:00Z
    report = opledger_json("import", "incident", write(tmp_path, "og.json", payload), "--json")
    assert report["workflows"] == ["ABC-123"]
    assert "service heuristic" in report["transitions"][0]
    [entry] = [e for e in stored.entries("ABC-123") if e["line"] == "escaped_defects"]
    assert entry["attrs"]["heuristic"] is True and entry["source"] == "incident:opsgenie"


def test_pr_url_links_and_incident_outside_the_window_is_skipped(opledger, opledger_json, stored, tmp_path):
    opledger("workflow", "start", "ABC-5", "--at", "2026-03-01T08:00:00Z")
    opledger("workflow", "merge", "ABC-5", "--at", "2026-03-01T09:00:00Z")
    # Remember the PR link the GitHub importer would have stored.
    from ledger_core.importers.delivery import remember
    from ledger_core.store import open_store

    remember(open_store(str(tmp_path / "store")), "ABC-5", pull_requests=["acme/shop#5"])
    generic = [
        {"id": "INC-1", "title": "Prices wrong", "opened_at": "2026-03-01T12:00:00Z", "severity": "sev2",
         "links": ["https://github.com/acme/shop/pull/5"], "remediation_hours": 1.5},
        {"id": "INC-2", "title": "Slow", "opened_at": "2026-03-20T12:00:00Z", "service": "shop"},
    ]
    report = opledger_json("import", "incident", write(tmp_path, "inc.json", generic), "--json")
    assert report["workflows"] == ["ABC-5"]
    assert report["skipped"][0]["what"] == "generic incident INC-2" and "link it with --workflow" in report["skipped"][0]["why"]
    [entry] = [e for e in stored.entries("ABC-5") if e["line"] == "escaped_defects"]
    assert float(entry["minutes"]) == 90


def test_explicit_workflow_option_and_bad_payloads(opledger, stored, tmp_path):
    opledger("workflow", "start", "ABC-6")
    opledger("import", "incident", write(tmp_path, "g.json", {"id": "X", "title": "t", "opened_at": "2026-03-01"}), "-w", "ABC-6")
    assert [e["kind"] for e in stored.entries("ABC-6")] == ["incident"]
    bad = opledger("import", "incident", write(tmp_path, "weird.json", {"hello": 1}), check=False)
    assert bad.returncode == 2 and "weird.json: not a PagerDuty, Opsgenie or generic incident payload" in bad.stderr
    no_time = opledger("import", "incident", write(tmp_path, "nt.json", {"id": "Y", "title": "t"}), check=False)
    assert no_time.returncode == 2 and "nt.json: the incident has no opening time" in no_time.stderr
    unknown = opledger("import", "incident", write(tmp_path, "g2.json", {"id": "Z", "title": "t", "opened_at": "2026-03-01"}), "-w", "NOPE", check=False)
    assert unknown.returncode == 2 and "unknown workflow 'NOPE'" in unknown.stderr
