"""PostgreSQL specifics: migrations via the CLI, tamper evidence in the database, and the
database-summed team report equal to the report over every raw entry."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from conftest import reset_database
from team_backends import fresh_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger_core.metrics import Period
from ledger_core.models import EntryDraft, Line, Region, RegionState, Tokens, Transition, Workflow, WorkflowState
from ledger_core.report import build_report
from ledger_core.store.postgres import PostgresStore

T0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def pg(team_db: str):
    reset_database(team_db)
    with PostgresStore(team_db) as store:
        yield store


def test_db_upgrade_is_repeatable_and_a_new_database_refuses_until_upgraded(opledger, team_db) -> None:
    base = team_db.rpartition("/")[0]
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "opl_upgrade_check" WITH (FORCE)')
        conn.execute('CREATE DATABASE "opl_upgrade_check"')
    url = f"{base}/opl_upgrade_check"
    refused = opledger("--store", url, "workflow", "list", check=False)
    assert refused.returncode == 3 and "opledger db upgrade" in refused.stderr
    assert "applied 0001_initial" in opledger("db", "upgrade", "--db", url).stdout
    assert "up to date" in opledger("db", "upgrade", "--db", url).stdout
    opledger("--store", url, "workflow", "start", "PG-1")
    assert "PG-1" in opledger("--store", url, "workflow", "list").stdout
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute('DROP DATABASE "opl_upgrade_check" WITH (FORCE)')


def _fill(store: PostgresStore, count: int = 6) -> None:
    store.append([EntryDraft(ts=T0, workflow="W", line=Line.INFERENCE, cost_usd=Decimal(i), source="t", source_ref=str(i)) for i in range(count)])


def test_verify_detects_an_edited_document(pg: PostgresStore, team_db: str) -> None:
    _fill(pg)
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute("UPDATE entry_docs SET doc = replace(doc::text, '\"cost_usd\":\"3\"', '\"cost_usd\":\"0\"')::json WHERE seq = 3")
    problem = pg.verify().problems[0]
    assert problem.kind == "edit" and problem.seq == 3


def test_verify_detects_a_report_column_edited_behind_the_documents_back(pg: PostgresStore, team_db: str) -> None:
    _fill(pg)
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute("UPDATE entries SET cost_usd = 0 WHERE seq = 4")
    problems = pg.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("edit", 4)] and "report columns" in problems[0].detail


def test_verify_detects_deleted_entries_in_the_middle_and_at_the_end(pg: PostgresStore, team_db: str) -> None:
    _fill(pg)
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute("DELETE FROM entry_docs WHERE seq = 5")
        conn.execute("DELETE FROM entries WHERE seq = 5")
    assert [p.kind for p in pg.verify().problems] == ["deletion"]
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute("DELETE FROM entry_docs WHERE seq = 2")
    assert pg.verify().problems[0].kind == "deletion"


def test_idempotency_is_enforced_by_the_database_itself(pg: PostgresStore, team_db: str) -> None:
    _fill(pg, 1)
    with psycopg.connect(team_db) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO entries SELECT 99, 'x', ts, workflow, line, kind, cost_usd, minutes, count, tok_input, tok_output,"
                     " tok_cw5m, tok_cw1h, tok_read, unpriced, reversal, session, source, source_ref, 'h' FROM entries WHERE seq = 0")


# --------------------------------------------------------------------------- summed report
def _random_ledger(store: PostgresStore, seed: int) -> None:
    rng = random.Random(seed)
    workflows = []
    for n in range(12):
        start = T0 + timedelta(days=rng.randrange(0, 60), hours=rng.randrange(24))
        transitions = [Transition(state=WorkflowState.OPEN, at=start)]
        state = rng.choice(list(WorkflowState))
        if state in (WorkflowState.MERGED, WorkflowState.VERIFIED):
            transitions.append(Transition(state=WorkflowState.MERGED, at=start + timedelta(days=rng.randrange(1, 10))))
        if state == WorkflowState.VERIFIED:
            transitions.append(Transition(state=state, at=transitions[-1].at + timedelta(hours=rng.randrange(1, 90))))
        workflows.append(Workflow(key=f"W{n}", team=rng.choice(["core", "web", None]), state=state, created_at=start,
                                  transitions=tuple(transitions), value_usd=Decimal(rng.randrange(0, 5000)) if rng.random() < .7 else None))
        store.put_workflow(workflows[-1])
    kinds = {Line.REWORK: ["bounce", "rejected_diff"], Line.ESCAPED_DEFECTS: ["incident"], Line.INFERENCE: ["model_call"]}
    drafts = []
    for i in range(400):
        line = rng.choice(list(Line))
        drafts.append(EntryDraft(
            ts=T0 + timedelta(minutes=rng.randrange(0, 90 * 24 * 60)), workflow=rng.choice(workflows).key, line=line,
            kind=rng.choice(kinds.get(line, ["time", "manual"])), cost_usd=Decimal(rng.randrange(0, 10_000)) / 100,
            minutes=Decimal(rng.randrange(0, 90)), count=rng.choice([0, 0, 1, 2]), unpriced=rng.random() < 0.1,
            tokens=Tokens(input=rng.randrange(1000), output=rng.randrange(500), cache_read=rng.randrange(100)) if line == Line.INFERENCE else None,
            session=rng.choice(["s1", "s2", "s3", None]), source="gen", source_ref=str(i),
        ))
    stored = store.append(drafts).stored
    reversals = [EntryDraft(ts=e.ts + timedelta(hours=1), workflow=e.workflow, line=e.line, kind=e.kind, cost_usd=-e.cost_usd,
                            minutes=-e.minutes, count=-e.count, unpriced=e.unpriced, reverses=e.id, source="correction",
                            source_ref=f"reverse:{e.id}") for e in rng.sample(list(stored), 40)]
    store.append(reversals)
    store.put_regions([Region(workflow=rng.choice(workflows).key, path=f"f{i}.py", start_line=1, end_line=rng.randrange(1, 40),
                              content_hash=str(i), created_at=T0 + timedelta(days=rng.randrange(80)),
                              state=rng.choice(list(RegionState)), decided_at=T0 + timedelta(days=rng.randrange(80)))
                       for i in range(30)])


@pytest.fixture(scope="module")
def random_db():
    yield from fresh_database()


@pytest.fixture(scope="module")
def random_ledger(random_db: str):
    with PostgresStore(random_db) as store:
        _random_ledger(store, seed=20260105)
        yield store, store.entries(), store.workflows(), store.regions()


moments = st.none() | st.integers(min_value=-5, max_value=100).map(lambda d: T0 + timedelta(days=d, hours=d % 7))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(since=moments, span=st.integers(min_value=1, max_value=60), team=st.sampled_from([None, "core", "web"]))
def test_database_summed_report_equals_the_report_over_raw_entries(random_ledger, since, span, team) -> None:
    store, entries, workflows, regions = random_ledger
    period = Period(since=since, until=since + timedelta(days=span) if since else None, label="p")
    assert store.team_report(period, team) == build_report(entries, workflows, regions, period, team)


def test_appends_keep_the_daily_rollups_equal_to_the_entries_and_verify_checks_them(pg: PostgresStore, team_db: str) -> None:
    drafts = [EntryDraft(ts=T0 + timedelta(hours=5 * i), workflow=f"W{i % 2}", line=Line.REWORK, kind="bounce",
                         count=i % 2, cost_usd=Decimal("1.25"), session="s" if i % 3 else None, source="t", source_ref=str(i))
              for i in range(12)]
    pg.append(drafts[:5])
    pg.append(drafts[3:])  # two duplicates: they must not count twice
    with psycopg.connect(team_db, autocommit=True) as conn:
        rows = conn.execute("SELECT sum(weight), sum(cost_usd), sum(occurrences) FROM entry_rollups").fetchone()
        days = conn.execute("SELECT count(DISTINCT day) FROM entry_rollups").fetchone()[0]
    assert rows == (12, Decimal("15.00"), sum(i % 2 or 1 for i in range(12))) and days == 3
    assert pg.verify().ok
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute("UPDATE entry_rollups SET cost_usd = cost_usd + 1 WHERE ctid = (SELECT min(ctid) FROM entry_rollups)")
    problems = pg.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("edit", None)] and "entry_rollups" in problems[0].where


def test_concurrent_appends_in_one_process_are_group_committed_without_losing_or_doubling(pg: PostgresStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def send(n: int):
        return pg.append([EntryDraft(ts=T0, workflow="G", line=Line.INFERENCE, cost_usd=Decimal(1), source="g", source_ref=str(n % 40))])

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(send, range(80)))
    assert sum(len(r.stored) for r in results) == 40 and sum(len(r.duplicates) for r in results) == 40
    assert len(pg.entries()) == 40 and pg.verify().ok
    bad = EntryDraft(ts=T0, workflow="G\x00", line=Line.INFERENCE, source="g", source_ref="nul")
    with pytest.raises(Exception, match="NUL"):
        pg.append([bad])
    assert len(pg.entries()) == 40
