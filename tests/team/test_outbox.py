"""Nothing lost, nothing doubled: the offline outbox, ``opledger sync`` and ``opledger migrate``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ADMIN_TOKEN, Service, reset_database

from ledger_core.store.postgres import PostgresStore

WORKER = str(Path(__file__).resolve().parents[1] / "store" / "store_worker.py")


@pytest.fixture
def service(team_db: str, tmp_path: Path):
    reset_database(team_db)
    running = Service(team_db, tmp_path).start()
    yield running
    running.stop()


@pytest.fixture
def team_cli(opledger, ledger_env, service, tmp_path):
    env = ledger_env | {"OPLEDGER_STORE": service.url, "OPLEDGER_TOKEN": ADMIN_TOKEN,
                        "OPLEDGER_OUTBOX_DIR": str(tmp_path / "outbox"), "OPLEDGER_HTTP_TIMEOUT": "3"}

    def run(*args: str, check: bool = True):
        return opledger(*args, env=env, check=check)

    return run


def db_entries(url: str):
    with PostgresStore(url) as store:
        return store.entries(), store.verify()


def test_killing_the_service_mid_stream_loses_and_doubles_nothing(service, team_cli, tmp_path, team_db) -> None:
    clients, per_client = 3, 240
    procs = []
    for n in range(clients):
        options = json.dumps({"token": ADMIN_TOKEN, "outbox_dir": str(tmp_path / f"outbox-{n}"), "timeout": 2})
        # Key-less entries: the client gives each a key before the first attempt.
        procs.append(subprocess.Popen([sys.executable, WORKER, service.url, options, "append", "-", str(per_client), "6", "0.02"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    time.sleep(1.0)
    service.kill()  # SIGKILL: in-flight requests die with the process
    time.sleep(1.5)
    service.start()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == str(per_client), err
    for n in range(clients):
        env_outbox = str(tmp_path / f"outbox-{n}")
        from ledger_core.store.http import HttpStore

        store = HttpStore(service.url, token=ADMIN_TOKEN, outbox_dir=env_outbox)
        store.sync()
        assert not store.outbox.pending()
        store.close()
    entries, report = db_entries(team_db)
    assert len(entries) == clients * per_client
    assert len({e.source_ref for e in entries}) == clients * per_client
    assert report.ok and report.entries == clients * per_client


def test_cli_records_offline_and_sync_delivers_once(service, team_cli, team_db) -> None:
    team_cli("workflow", "start", "OFF-1", "--team", "core")
    service.stop()
    team_cli("workflow", "start", "OFF-2", "--team", "core")  # created while the service is down
    team_cli("record", "inference", "OFF-1", "--usd", "1.25")
    team_cli("record", "review", "OFF-2", "--minutes", "12", "--role", "mid", "--ref", "pr-9-review")
    down = team_cli("show", "OFF-1", check=False)
    assert down.returncode == 3 and "unreachable" in down.stderr
    service.start()
    synced = json.loads(team_cli("sync", "--json").stdout)
    assert synced["entries"] == 2 and synced["stored"] == 2 and synced["workflows"] == 1
    assert json.loads(team_cli("sync", "--json").stdout)["entries"] == 0
    assert json.loads(team_cli("show", "OFF-1", "--json").stdout)["total_cost_usd"] == 1.25
    assert json.loads(team_cli("show", "OFF-2", "--json").stdout)["workflow"]["team"] == "core"
    entries, report = db_entries(team_db)
    assert len(entries) == 2 and report.ok


def test_buffered_writes_are_sent_by_the_next_successful_call(service, team_cli, team_db) -> None:
    team_cli("workflow", "start", "AUTO-1")
    service.stop()
    team_cli("record", "evaluation", "AUTO-1", "--usd", "0.40")
    service.start()
    team_cli("workflow", "list")  # any successful call flushes the outbox
    entries, _ = db_entries(team_db)
    assert [e.cost_usd for e in entries] == [Decimal("0.40")]


def test_migrate_moves_an_embedded_ledger_once(opledger, ledger_env, service, team_db, tmp_path) -> None:
    opledger("workflow", "start", "MIG-1", "--team", "core", "--value", "900")
    opledger("record", "inference", "MIG-1", "--usd", "3.10")
    opledger("record", "review", "MIG-1", "--minutes", "20")
    opledger("workflow", "merge", "MIG-1")
    local = json.loads(opledger("show", "MIG-1", "--json").stdout)
    env = ledger_env | {"OPLEDGER_TOKEN": ADMIN_TOKEN, "OPLEDGER_OUTBOX_DIR": str(tmp_path / "outbox")}
    first = json.loads(opledger("migrate", "--to", service.url, "--json", env=env).stdout)
    again = json.loads(opledger("migrate", "--to", service.url, "--json", env=env).stdout)
    assert first["entries"] == 2 and first["stored"] == 2 and again["stored"] == 0
    remote = json.loads(opledger("--store", service.url, "show", "MIG-1", "--json", env=env).stdout)
    assert remote["total_cost_usd"] == local["total_cost_usd"]
    assert remote["workflow"]["state"] == "merged" and remote["lines"] == local["lines"]
    entries, report = db_entries(team_db)
    assert len(entries) == 2 and report.ok


def test_workflow_moves_made_offline_are_sent_in_order_and_a_stale_one_is_reported(service, team_cli, team_db, opledger,
                                                                                   ledger_env, tmp_path) -> None:
    team_cli("workflow", "start", "MOVE-1", "--team", "core")
    team_cli("workflow", "start", "MOVE-2", "--team", "core")
    service.stop()
    assert "is in_review" in team_cli("workflow", "review", "MOVE-1").stdout
    assert "is merged" in team_cli("workflow", "merge", "MOVE-1").stdout
    assert "is merged" in team_cli("workflow", "merge", "MOVE-2").stdout
    # A move the buffered state already rules out is refused at once, as the service would.
    back = team_cli("workflow", "review", "MOVE-1", check=False)
    assert back.returncode == 2 and "cannot go back" in back.stderr
    unknown = team_cli("workflow", "merge", "NEVER-SEEN", check=False)
    assert unknown.returncode == 3 and "never seen here" in unknown.stderr
    service.start()
    # Meanwhile someone else (online) abandoned MOVE-2: its buffered merge no longer applies.
    other = ledger_env | {"OPLEDGER_STORE": service.url, "OPLEDGER_TOKEN": ADMIN_TOKEN, "OPLEDGER_OUTBOX_DIR": str(tmp_path / "other")}
    opledger("workflow", "abandon", "MOVE-2", env=other)
    synced = json.loads(team_cli("sync", "--json").stdout)
    assert synced["transitions"] == 3 and len(synced["refused"]) == 1 and synced["refused"][0].startswith("MOVE-2 → merged")
    with PostgresStore(team_db) as store:
        moved = store.get_workflow("MOVE-1")
        assert [t.state.value for t in moved.transitions] == ["open", "in_review", "merged"] and moved.state.value == "merged"
        assert store.get_workflow("MOVE-2").state.value == "abandoned"
    assert json.loads(team_cli("sync", "--json").stdout)["transitions"] == 0
