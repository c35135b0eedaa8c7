"""Retention and ``forget`` on the team ledger: the real CLI through the service to PostgreSQL."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from conftest import ADMIN_TOKEN


@pytest.fixture
def team_cli(opledger, ledger_env, team_service, tmp_path):
    def run(*args: str, token: str = ADMIN_TOKEN, check: bool = True):
        env = ledger_env | {"OPLEDGER_STORE": team_service.url, "OPLEDGER_TOKEN": token,
                            "OPLEDGER_OUTBOX_DIR": str(tmp_path / "outbox")}
        return opledger(*args, env=env, check=check)

    return run


def test_forget_and_retention_work_on_the_team_ledger_and_need_the_admin_role(team_cli, team_service, opledger_json) -> None:
    import json

    team_cli("workflow", "start", "TP-1", "--owner", "rui.costa", "--team", "core")
    team_cli("record", "review", "TP-1", "--minutes", "30", "--actor", "rui.costa", "--note", "rui's notes")
    team_cli("record", "context_prep", "TP-1", "--minutes", "20", "--actor", "bo")
    before = json.loads(team_cli("show", "TP-1", "--json").stdout)

    lead = httpx.post(f"{team_service.url}/v1/users", json={"name": "lead-p", "team": "core", "role": "lead"},
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["token"]
    refused = team_cli("forget", "--actor", "rui.costa", token=lead, check=False)
    assert refused.returncode != 0 and "admin role" in refused.stderr and "Traceback" not in refused.stderr

    result = json.loads(team_cli("forget", "--actor", "rui.costa", "--json").stdout)
    assert result["entries"] == 1 and result["workflows"] == 1 and result["pseudonym"].startswith("former-")
    after = json.loads(team_cli("show", "TP-1", "--json").stdout)
    assert after["lines"] == before["lines"] and after["total_cost_usd"] == before["total_cost_usd"]
    assert after["workflow"]["owner"] == result["pseudonym"]
    with psycopg.connect(team_service.db) as conn:
        docs = " ".join(row[0] for row in conn.execute("SELECT doc::text FROM entry_docs"))
        workflows = " ".join(row[0] for row in conn.execute("SELECT doc::text FROM workflows"))
    assert "rui.costa" not in docs and "rui's notes" not in docs and "rui.costa" not in workflows
    assert "chain intact" in team_cli("verify").stdout

    purge = json.loads(team_cli("retention", "apply", "--json").stdout)
    assert purge["kind"] == "retention_purge"
