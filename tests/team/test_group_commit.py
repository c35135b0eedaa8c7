"""The service's append path under concurrency: requests that arrive together share group
commits, and one bad request fails alone with the same answer the rest of the API gives."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import psycopg
import pytest
from conftest import ADMIN_TOKEN, Service

from ledger_core.models import EntryDraft, Line
from ledger_core.store.postgres import PostgresStore

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def two_workers(team_db: str, tmp_path_factory: pytest.TempPathFactory):
    running = Service(team_db, tmp_path_factory.mktemp("group-commit"), workers=2).start()
    yield running
    running.stop()


def _entry(ref: str, workflow: str = "GC-1") -> dict:
    return {"ts": T0.isoformat(), "workflow": workflow, "line": "inference", "kind": "model_call",
            "cost_usd": "0.25", "source": "gc", "source_ref": ref}


async def _send_all(url: str, requests: list[tuple[dict, str | None]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        async def send(body: dict, token: str | None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return await client.post("/v1/entries", json=body, headers=headers)

        return await asyncio.gather(*(send(body, token) for body, token in requests))


def test_concurrent_requests_store_each_entry_once_and_bad_ones_fail_alone(two_workers: Service) -> None:
    good = [({"entries": [_entry(str(n % 30))]}, ADMIN_TOKEN) for n in range(60)]  # every ref sent twice
    nul = [({"entries": [_entry(f"nul-{n}", workflow="GC\x00")]}, ADMIN_TOKEN) for n in range(3)]
    shapeless = [({"entries": [{"workflow": "GC-1"}]}, ADMIN_TOKEN) for _ in range(3)]
    anonymous = [({"entries": [_entry("anon")]}, None) for _ in range(3)]
    mixed = good[:20] + nul + good[20:40] + shapeless + anonymous + good[40:]
    replies = asyncio.run(_send_all(two_workers.url, mixed))

    by_kind = {"good": [], "nul": [], "shapeless": [], "anonymous": []}
    for (body, token), reply in zip(mixed, replies, strict=True):
        kind = ("anonymous" if token is None else "shapeless" if "line" not in body["entries"][0]
                else "nul" if "\x00" in body["entries"][0]["workflow"] else "good")
        by_kind[kind].append(reply)
    assert all(r.status_code == 200 for r in by_kind["good"])
    stored = sum(len(r.json()["stored"]) for r in by_kind["good"])
    duplicates = sum(len(r.json()["duplicates"]) for r in by_kind["good"])
    assert (stored, duplicates) == (30, 30)
    for reply in by_kind["nul"]:
        assert reply.status_code == 422 and reply.json()["type"] == "InvalidInput" and "NUL" in reply.json()["error"]
    for reply in by_kind["shapeless"]:
        assert reply.status_code == 422 and reply.json()["error"].startswith("invalid request: body.entries.0")
    for reply in by_kind["anonymous"]:
        assert reply.status_code == 401 and reply.json()["type"] == "Unauthorized"

    with psycopg.connect(two_workers.db) as conn:
        assert conn.execute("SELECT count(*), sum(cost_usd) FROM entries WHERE source = 'gc'").fetchone() == (30, Decimal("7.50"))
    verify = httpx.get(f"{two_workers.url}/v1/verify", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()
    assert verify["problems"] == []


def test_append_many_answers_each_batch_and_a_refused_one_does_not_fail_its_neighbours(team_db: str) -> None:
    store = PostgresStore(team_db)
    try:
        def draft(ref: str, workflow: str = "AM-1") -> EntryDraft:
            return EntryDraft(ts=T0, workflow=workflow, line=Line.REVIEW, minutes=Decimal(3), source="am", source_ref=ref)

        outcomes = store.append_many([[draft("a"), draft("b")], [draft("c", workflow="AM\x00")], [], [draft("a"), draft("d")]])
        assert [len(o.stored) for o in (outcomes[0], outcomes[2], outcomes[3])] == [2, 0, 1]
        assert isinstance(outcomes[1], Exception) and "NUL" in str(outcomes[1])
        # "a" went in with the first batch of the same group: the fourth batch sees it as stored.
        assert outcomes[3].duplicates == (outcomes[0].stored[0].id,)
        # A batch the database refuses (a count beyond bigint) fails its group's transaction:
        # the others are written again on their own, and only it hears of the error.
        huge = draft("h").model_copy(update={"count": 2**70})
        outcomes = store.append_many([[draft("f")], [huge], [draft("g")]])
        assert isinstance(outcomes[1], Exception) and [len(outcomes[0].stored), len(outcomes[2].stored)] == [1, 1]
        before = store.version()
        assert [len(o.stored) for o in store.append_many([[draft("e")]])] == [1] and store.version() != before
        assert sorted(e.source_ref for e in store.entries() if e.source == "am") == ["a", "b", "d", "e", "f", "g"]
        assert store.verify().ok
    finally:
        store.close()


def test_replicas_appending_in_turn_keep_one_chain_and_each_key_once(team_db: str) -> None:
    # Each store chains onto the head it wrote last, in one statement; the other replica's
    # writes make that head stale, which must send it down the locking path, never fork the chain.
    first, second = PostgresStore(team_db), PostgresStore(team_db)
    try:
        def draft(ref: str) -> EntryDraft:
            return EntryDraft(ts=T0, workflow="RP-1", line=Line.REVIEW, minutes=Decimal(1), source="rp", source_ref=ref)

        stored = []
        for n in range(12):
            writer, other = (first, second) if n % 2 else (second, first)
            stored += writer.append([draft(f"r{n}"), draft(f"r{n}-b")]).stored  # its head is stale: the other wrote
            stored += writer.append([draft(f"r{n}-c")]).stored  # on the head it just wrote: one statement
            if n % 4 == 0:
                assert other.append([draft(f"r{n}")]).duplicates  # a key stored by the other replica
        seqs = sorted(e.seq for e in stored)
        assert seqs == list(range(seqs[0], seqs[0] + 36))
        assert first._head is not None and first.verify().ok
        assert sorted(e.source_ref for e in first.entries() if e.source == "rp") == sorted(e.source_ref for e in stored)
    finally:
        first.close()
        second.close()


def test_a_key_committed_while_waiting_for_the_chain_lock_is_seen_as_stored(team_db: str) -> None:
    # A writer that waited for the head lock must look its keys up after getting it: a lookup
    # that began before the other writer committed would miss the key and fail on insert.
    import threading

    from conftest import reset_database

    reset_database(team_db)
    store = PostgresStore(team_db)
    try:
        with psycopg.connect(team_db) as other:
            seq, head = other.execute("SELECT next_seq, hash FROM chain_head WHERE id = 1 FOR UPDATE").fetchone()
            outcome: dict[str, object] = {}

            def append() -> None:
                try:
                    outcome["result"] = store.append([EntryDraft(ts=T0, workflow="LK-1", line=Line.REVIEW, source="lk", source_ref="k1")])
                except Exception as exc:  # noqa: BLE001 - the test reports it
                    outcome["error"] = exc

            waiting = threading.Thread(target=append)
            waiting.start()
            waiting.join(0.5)
            assert waiting.is_alive()  # blocked on the head lock
            other.execute(
                "INSERT INTO entries (seq, id, ts, workflow, line, kind, cost_usd, minutes, count, tok_input, tok_output, tok_cw5m,"
                " tok_cw1h, tok_read, unpriced, reversal, source, source_ref, hash)"
                " VALUES (%s, 'other-writer', now(), 'LK-1', 'review', 'manual', 0, 0, 0, 0, 0, 0, 0, 0, false, false, 'lk', 'k1', 'h1')",
                (seq,),
            )
            other.execute("UPDATE chain_head SET next_seq = next_seq + 1, hash = 'h1' WHERE id = 1")
            other.commit()
        waiting.join(10)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["result"].duplicates == ("other-writer",) and outcome["result"].stored == ()
    finally:
        store.close()
        reset_database(team_db)
