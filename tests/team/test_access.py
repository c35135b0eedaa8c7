"""Access control end to end: the real CLI against the real service over PostgreSQL."""

from __future__ import annotations

import json

import httpx
import psycopg
import pytest
from conftest import ADMIN_TOKEN


@pytest.fixture(scope="module")
def tokens(team_service) -> dict[str, str]:
    """One user per role, created through the admin API."""
    made = {}
    for name, team, role in (("dev", "core", "developer"), ("lead", "core", "lead"), ("mgr-web", "web", "manager")):
        reply = httpx.post(f"{team_service.url}/v1/users", json={"name": name, "team": team, "role": role},
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert reply.status_code == 200, reply.text
        made[name] = reply.json()["token"]
    return made


@pytest.fixture
def as_user(opledger, ledger_env, team_service, tmp_path):
    def run(token: str | None, *args: str, check: bool = True):
        env = ledger_env | {"OPLEDGER_STORE": team_service.url, "OPLEDGER_OUTBOX_DIR": str(tmp_path / "outbox")}
        if token:
            env["OPLEDGER_TOKEN"] = token
        return opledger(*args, env=env, check=check)

    return run


def test_admin_token_adds_a_user_and_prints_a_token_stored_only_as_hash(as_user, team_service) -> None:
    out = as_user(ADMIN_TOKEN, "user", "add", "zoe", "--team", "core", "--role", "lead", "--json")
    created = json.loads(out.stdout)
    assert created["name"] == "zoe" and created["role"] == "lead" and created["token"].startswith("olt_")
    with psycopg.connect(team_service.db) as conn:
        stored = " ".join(row[0] for row in conn.execute("SELECT key || value::text FROM kv"))
    assert created["token"] not in stored and "zoe" in stored
    whoami = httpx.get(f"{team_service.url}/v1/whoami", headers={"Authorization": f"Bearer {created['token']}"}).json()
    assert whoami == {"name": "zoe", "role": "lead", "team": "core"}
    again = as_user(ADMIN_TOKEN, "user", "add", "zoe", "--team", "core", check=False)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_requests_without_a_valid_token_are_refused(as_user, team_service, tokens) -> None:
    assert httpx.get(f"{team_service.url}/v1/workflows").status_code == 401
    assert httpx.get(f"{team_service.url}/v1/workflows", headers={"Authorization": "Bearer nope"}).status_code == 401
    result = as_user("nope", "workflow", "list", check=False)
    assert result.returncode == 2 and "unknown or revoked API token" in result.stderr
    result = as_user(tokens["dev"], "user", "add", "eve", "--role", "admin", check=False)
    assert result.returncode == 2 and "needs the admin role" in result.stderr


def test_developer_records_own_team_work_but_cannot_read_team_reports_or_other_teams(as_user, tokens) -> None:
    as_user(tokens["dev"], "workflow", "start", "CORE-1", "--team", "core", "--title", "Fix login")
    as_user(tokens["dev"], "record", "review", "CORE-1", "--minutes", "30", "--role", "senior")
    shown = json.loads(as_user(tokens["dev"], "show", "CORE-1", "--json").stdout)
    assert shown["total_cost_usd"] == 75.0  # 30 min × $120/h × 1.25 focus
    refused = as_user(tokens["dev"], "workflow", "start", "WEB-1", "--team", "web", check=False)
    assert refused.returncode == 2 and "cannot write workflows of team 'web'" in refused.stderr
    report = as_user(tokens["dev"], "report", "--json", check=False)
    assert report.returncode == 2 and "needs the lead role" in report.stderr


def test_team_report_reads_are_scoped_to_the_team_and_audit_logged(as_user, tokens, team_service) -> None:
    as_user(tokens["lead"], "workflow", "start", "CORE-2", "--team", "core")
    as_user(tokens["lead"], "record", "inference", "CORE-2", "--usd", "2.50")
    report = json.loads(as_user(tokens["lead"], "report", "--json").stdout)
    assert report["team"] == "core"
    assert {w["key"] for w in report["workflows"]} >= {"CORE-2"}
    refused = as_user(tokens["mgr-web"], "report", "--team", "core", "--json", check=False)
    assert refused.returncode == 2 and "not 'core'" in refused.stderr
    export = httpx.get(f"{team_service.url}/v1/entries", headers={"Authorization": f"Bearer {tokens['lead']}"})
    assert export.status_code == 200
    log = httpx.get(f"{team_service.url}/v1/access-log", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
    actions = [(e["user"], e["action"]) for e in log]
    assert ("lead", "report") in actions and ("lead", "export") in actions
    assert httpx.get(f"{team_service.url}/v1/access-log", headers={"Authorization": f"Bearer {tokens['lead']}"}).status_code == 403


def test_reserved_namespaces_and_openapi(team_service, tokens) -> None:
    headers = {"Authorization": f"Bearer {tokens['dev']}"}
    sneaky = httpx.put(f"{team_service.url}/v1/kv", params={"namespace": "opledger.tokens", "key": "x"},
                       json={"value": {"name": "x", "role": "admin"}}, headers=headers)
    assert sneaky.status_code == 403
    spec = httpx.get(f"{team_service.url}/openapi.json").json()
    assert {"/v1/entries", "/v1/workflows", "/v1/reports/team", "/v1/users", "/v1/digest"} <= set(spec["paths"])
