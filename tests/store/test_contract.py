"""THE Store contract: every backend (embedded, PostgreSQL, HTTP client against a running
service) must behave the same for every method of ``ledger_core.store.base.Store``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ledger_core.errors import InvalidTransition, NotFound, UnknownWorkflow
from ledger_core.models import (
    GENESIS_HASH,
    Entry,
    EntryDraft,
    Evidence,
    Incident,
    Line,
    Region,
    RegionState,
    Tokens,
    Transition,
    Workflow,
    WorkflowState,
)
from ledger_core.store import Store

WORKER = str(Path(__file__).with_name("store_worker.py"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def draft(workflow: str = "WF-1", *, ref: str | None = None, at: datetime = T0, **fields) -> EntryDraft:
    return EntryDraft(ts=at, workflow=workflow, line=fields.pop("line", Line.INFERENCE), source=fields.pop("source", "test"),
                      source_ref=ref, **fields)


def workflow(key: str = "WF-1", team: str | None = "core", **fields) -> Workflow:
    return Workflow(key=key, team=team, created_at=T0, transitions=(Transition(state=WorkflowState.OPEN, at=T0),), **fields)


def region(rid: str, path: str = "src/app.py", workflow: str = "WF-1", start: int = 1, **fields) -> Region:
    return Region(id=rid, workflow=workflow, path=path, start_line=start, end_line=start + 4, content_hash="h" + rid,
                  created_at=T0, **fields)


def run_workers(backend: tuple[str, dict], *argv_lists: list[str]) -> list[str]:
    location, options = backend
    opts = json.dumps({k: str(v) for k, v in options.items()})
    procs = [subprocess.Popen([sys.executable, WORKER, location, opts, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for argv in argv_lists]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    return outputs


def test_backend_implements_the_store_protocol(store: Store) -> None:
    assert isinstance(store, Store)
    assert store.location


# --------------------------------------------------------------------------- entries
def test_append_stores_entries_in_sequence_with_everything_the_draft_said(store: Store) -> None:
    tokens = Tokens(input=100, output=20, cache_read=5)
    result = store.append([
        draft(tokens=tokens, cost_usd=Decimal("0.0123"), model="claude-sonnet-4-5", session="s1", attrs={"retry": 1, "nested": {"a": [1, 2]}}),
        draft(line=Line.REVIEW, minutes=Decimal("2.5"), cost_usd=Decimal("5.21"), actor="ana", role="senior"),
    ])
    assert [e.seq for e in result.stored] == [0, 1] and result.duplicates == ()
    first, second = store.entries()
    assert first.tokens == tokens and first.cost_usd == Decimal("0.0123") and first.attrs == {"retry": 1, "nested": {"a": [1, 2]}}
    assert second.minutes == Decimal("2.5") and second.actor == "ana" and second.line == Line.REVIEW
    assert first.ts == T0 and first.id == result.stored[0].id
    assert store.get_entry(second.id) == second
    # What append returns is the stored entry itself, field for field (stores build it without
    # validating again), and a valid model.
    for returned, read in zip(result.stored, (first, second), strict=True):
        assert returned.model_dump() == read.model_dump() and Entry.model_validate(returned.model_dump()) == read


def test_get_entry_of_an_unknown_id_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get_entry("01NOPE")


def test_entries_filter_by_workflow_and_half_open_period(store: Store) -> None:
    store.append([draft("WF-1", at=T0), draft("WF-2", at=T0 + timedelta(days=1)), draft("WF-1", at=T0 + timedelta(days=2))])
    assert [e.workflow for e in store.entries(workflow="WF-1")] == ["WF-1", "WF-1"]
    window = store.entries(since=T0 + timedelta(days=1), until=T0 + timedelta(days=2))
    assert [e.workflow for e in window] == ["WF-2"]
    assert len(store.entries(since=T0 + timedelta(days=2))) == 1
    assert store.entries(workflow="WF-9") == []


def test_idempotency_key_records_a_fact_once_within_and_across_batches(store: Store) -> None:
    first = store.append([draft(ref="a"), draft(ref="a"), draft(ref="b")])
    assert len(first.stored) == 2 and first.duplicates == (first.stored[0].id,)
    again = store.append([draft(ref="b"), draft(ref="c"), draft(ref="a", source="other")])
    assert again.duplicates == (first.stored[1].id,)
    assert len(again.stored) == 2
    # No key, no deduplication: identical key-less facts are separate facts.
    store.append([draft(), draft()])
    assert len(store.entries()) == 6


def test_hash_chain_links_every_entry_and_verifies(store: Store) -> None:
    assert store.verify().ok and store.verify().entries == 0 and store.verify().head == GENESIS_HASH
    store.append([draft(ref=str(i), cost_usd=Decimal(i)) for i in range(5)])
    store.append([draft(attrs={"float": 0.1, "big": 1e20, "text": "ünïcode ✓"})])
    entries = store.entries()
    previous = GENESIS_HASH
    for entry in entries:
        assert entry.prev_hash == previous
        assert entry.hash == Entry.compute_hash(previous, entry.body())
        previous = entry.hash
    report = store.verify()
    assert report.ok and report.entries == 6 and report.head == entries[-1].hash


# --------------------------------------------------------------------------- workflows
def test_workflows_put_get_find_and_list_by_team(store: Store) -> None:
    assert store.find_workflow("WF-1") is None
    with pytest.raises(UnknownWorkflow):
        store.get_workflow("WF-1")
    store.put_workflow(workflow("WF-1", title="First", value_usd=Decimal("1200.50")))
    store.put_workflow(workflow("WF-2", team="web"))
    assert store.get_workflow("WF-1").value_usd == Decimal("1200.50")
    assert [w.key for w in store.workflows()] == ["WF-1", "WF-2"]
    assert [w.key for w in store.workflows(team="web")] == ["WF-2"]
    # create_only keeps what is there; a plain put replaces it.
    kept = store.put_workflow(workflow("WF-1", title="Other"), create_only=True)
    assert kept.title == "First" and store.get_workflow("WF-1").title == "First"
    store.put_workflow(workflow("WF-1", title="Renamed"))
    assert store.get_workflow("WF-1").title == "Renamed"


def test_workflow_transitions_move_forward_and_refuse_invalid_ones(store: Store) -> None:
    store.put_workflow(workflow())
    store.transition_workflow("WF-1", WorkflowState.IN_REVIEW, T0 + timedelta(hours=1), actor="ana")
    verified = store.transition_workflow("WF-1", WorkflowState.VERIFIED, T0 + timedelta(hours=2),
                                         evidence=Evidence(kind="ci", ref="run-7", tests=("test_a",)))
    assert verified.state == WorkflowState.VERIFIED
    assert [t.state for t in verified.transitions] == ["open", "in_review", "merged", "verified"]
    assert store.get_workflow("WF-1") == verified and verified.evidence.ref == "run-7"
    with pytest.raises(InvalidTransition):
        store.transition_workflow("WF-1", WorkflowState.OPEN, T0 + timedelta(hours=3))
    with pytest.raises(UnknownWorkflow):
        store.transition_workflow("WF-404", WorkflowState.MERGED, T0)
    store.put_workflow(workflow("WF-2"))
    store.transition_workflow("WF-2", WorkflowState.MERGED, T0 + timedelta(hours=5))
    with pytest.raises(InvalidTransition):  # earlier than the last transition
        store.transition_workflow("WF-2", WorkflowState.VERIFIED, T0 + timedelta(hours=4))
    assert store.get_workflow("WF-2").state == WorkflowState.MERGED


# --------------------------------------------------------------------------- regions
def test_regions_upsert_filter_and_get(store: Store) -> None:
    store.put_regions([region("r1", start=10), region("r2", path="src/b.py"), region("r3", workflow="WF-2", start=1)])
    assert [r.id for r in store.regions(path="src/app.py")] == ["r3", "r1"]
    assert [r.id for r in store.regions(workflow="WF-2")] == ["r3"]
    decided = store.get_region("r1").model_copy(update={"state": RegionState.ACCEPTED, "decided_at": T0, "attrs": {"first_shown_at": "x"}})
    store.put_regions([decided])
    assert store.get_region("r1") == decided
    assert len(store.regions()) == 3
    store.put_regions([])
    with pytest.raises(NotFound):
        store.get_region("r9")


# --------------------------------------------------------------------------- incidents
def test_incidents_are_idempotent_by_source_ref_and_filter_by_workflow(store: Store) -> None:
    first = store.put_incident(Incident(workflows=("WF-1", "WF-2"), source="pagerduty", source_ref="P1", severity="sev2",
                                        remediation_hours=Decimal("3.5"), opened_at=T0))
    again = store.put_incident(Incident(workflows=("WF-1",), source="pagerduty", source_ref="P1", opened_at=T0 + timedelta(1)))
    assert again == first
    other = store.put_incident(Incident(workflows=("WF-3",), source="manual", opened_at=T0 + timedelta(hours=1)))
    assert [i.id for i in store.incidents()] == [first.id, other.id]
    assert [i.id for i in store.incidents(workflow="WF-2")] == [first.id]
    assert store.incidents(workflow="WF-9") == []


# --------------------------------------------------------------------------- key-value
def test_kv_get_set_and_claim(store: Store) -> None:
    assert store.kv_get("cursor", "a/b c") is None
    store.kv_set("cursor", "a/b c", {"offset": 12, "files": ["x"], "ok": True})
    assert store.kv_get("cursor", "a/b c") == {"offset": 12, "files": ["x"], "ok": True}
    store.kv_set("cursor", "a/b c", 13)
    assert store.kv_get("cursor", "a/b c") == 13
    assert store.kv_claim("events", "e1") is True
    assert store.kv_claim("events", "e1", "later") is False
    assert store.kv_get("events", "e1") is True


def test_kv_claim_is_atomic_across_processes(store: Store, backend: tuple[str, dict]) -> None:
    outcomes = run_workers(backend, *[["claim", "the-key"] for _ in range(6)])
    assert sorted(outcomes) == ["lost"] * 5 + ["won"]


# --------------------------------------------------------------------------- concurrency
def test_concurrent_appends_from_several_processes_keep_one_chain(store: Store, backend: tuple[str, dict]) -> None:
    # Two writers share keys (p0) and must store them once; two write without keys.
    outputs = run_workers(backend, ["append", "p0", "60", "7"], ["append", "p0", "60", "5"],
                          ["append", "p1", "60", "9"], ["append", "-", "60", "4"])
    assert outputs == ["60"] * 4
    entries = store.entries()
    assert len(entries) == 180
    assert [e.seq for e in entries] == list(range(180))
    assert len({e.source_ref for e in entries if (e.source_ref or "").startswith("p")}) == 120
    report = store.verify()
    assert report.ok and report.entries == 180


# --------------------------------------------------------------------------- version
def test_version_changes_with_every_kind_of_write(store: Store) -> None:
    seen = [store.version()]
    assert store.version() == seen[0]
    for write in (
        lambda: store.append([draft()]),
        lambda: store.put_workflow(workflow()),
        lambda: store.transition_workflow("WF-1", WorkflowState.MERGED, T0 + timedelta(hours=1)),
        lambda: store.put_regions([region("r1")]),
        lambda: store.put_incident(Incident(workflows=("WF-1",), opened_at=T0)),
    ):
        write()
        seen.append(store.version())
        assert seen[-1] != seen[-2]
    assert store.version() == seen[-1]


def test_seal_drops_private_fields_keeps_numbers_and_the_chain(store: Store) -> None:
    from ledger_core.errors import InvalidInput

    kept, other = store.append([
        draft(ref="s1", actor="ana.lima", note="private words", cost_usd=Decimal("1.50"), attrs={"prompt": "secret"}),
        draft(ref="s2", actor="bo", note="stays"),
    ]).stored
    record = EntryDraft(ts=T0, workflow="_ledger", line=Line.GOVERNANCE, kind="forget", count=1, source="forget")
    purge = store.seal(record, {kept.id: {"actor": "former-0a1b2c3d", "note": None, "attrs": {}}})
    assert purge.kind == "forget" and purge.seq == other.seq + 1
    sealed = store.get_entry(kept.id)
    assert (sealed.actor, sealed.note, sealed.attrs, sealed.cost_usd) == ("former-0a1b2c3d", None, {}, Decimal("1.50"))
    assert sealed.sealed is not None and sealed.sealed.by == (purge.id,) and set(sealed.sealed.fields) == {"actor", "note", "attrs"}
    assert (sealed.hash, sealed.prev_hash) == (kept.hash, kept.prev_hash)
    assert store.get_entry(other.id).note == "stays" and store.verify().ok
    # A value that is no placeholder, or an unknown entry, is refused before anything is written.
    count = len(store.entries())
    with pytest.raises(InvalidInput):
        store.seal(record, {other.id: {"note": "rewritten"}})
    with pytest.raises(NotFound):
        store.seal(record, {"no-such-entry": {"note": None}})
    assert len(store.entries()) == count and store.get_entry(other.id).note == "stays" and store.verify().ok


def test_a_workflow_update_from_a_stale_copy_does_not_undo_a_transition(store: Store) -> None:
    store.put_workflow(workflow())
    stale = store.get_workflow("WF-1")  # an importer read it...
    store.transition_workflow("WF-1", WorkflowState.MERGED, T0 + timedelta(hours=1))  # ...a merge landed...
    returned = store.put_workflow(stale.model_copy(update={"attrs": {"pr": 7}}))  # ...then it saved its attrs
    stored = store.get_workflow("WF-1")
    assert stored.state == WorkflowState.MERGED and len(stored.transitions) == 2 and stored.attrs == {"pr": 7}
    assert returned == stored
