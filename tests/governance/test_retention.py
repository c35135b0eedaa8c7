"""`opledger retention apply` and `opledger forget`: text and people go, numbers and the chain stay."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from ledger_core.config import Settings
from ledger_core.errors import ConfigError
from ledger_core.models import EntryDraft, Line, utcnow
from ledger_core.retention import apply_retention, forget_actor
from ledger_core.store import EmbeddedStore


def _config(ledger_env: dict[str, str], text: str) -> None:
    Path(ledger_env["OPLEDGER_CONFIG"]).write_text(text)


def test_retention_drops_old_text_keeps_costs_and_records_the_purge(opledger, opledger_json, ledger_env):
    _config(ledger_env, 'store_text = true\n[retention.default]\nnote = 30\n[retention.inference]\nnote = 400\nattrs = 1\n')
    opledger("workflow", "start", "W1")
    old = (utcnow() - timedelta(days=90)).isoformat()
    opledger("record", "review", "W1", "--minutes", "30", "--actor", "ana", "--note", "reviewed the auth flow", "--at", old)
    opledger("record", "inference", "W1", "--tokens", "5000", "--model", "claude-sonnet-4", "--note", "old prompt", "--at", old)
    opledger("record", "review", "W1", "--minutes", "10", "--note", "fresh note")
    before = opledger_json("report", "--json")
    purge = opledger_json("retention", "apply", "--by", "auditor", "--json")
    assert purge["entries"] == 1 and purge["fields"] == {"note": 1} and purge["record"]
    after = opledger_json("report", "--json")
    assert after["metrics"] == before["metrics"] and after["lines"] == before["lines"]
    entries = {e.note: e for e in EmbeddedStore(ledger_env["OPLEDGER_STORE"]).entries()}
    assert "reviewed the auth flow" not in entries and {"old prompt", "fresh note"} <= set(entries)
    record = [e for e in entries.values() if e.kind == "retention_purge"][0]
    assert record.line == Line.GOVERNANCE and record.count == 1 and record.actor == "auditor"
    assert "ok: 4 entries, chain intact" in opledger("verify").stdout
    # Re-running finds nothing left to drop and records nothing.
    again = opledger_json("retention", "apply", "--json")
    assert again["entries"] == 0 and again["record"] is None


def test_sealed_entries_still_detect_number_edits_and_unrecorded_purges(tmp_path):
    root = tmp_path / "s"
    store = EmbeddedStore(root)
    old = utcnow() - timedelta(days=10)
    store.append([EntryDraft(ts=old, workflow="W", line=Line.REVIEW, minutes=5, cost_usd=7, note=f"n{i}", attrs={"k": i}) for i in range(3)])
    settings = Settings(retention={"default": {"note": 1, "attrs": 1}})
    assert apply_retention(store, settings).entries == 3
    assert store.verify().ok
    segment = root / "entries" / "seg-00000000.json"
    pristine = segment.read_text()

    def tampered(change) -> list[tuple[str, int | None]]:
        data = json.loads(pristine)
        change(data["entries"])
        segment.write_text(json.dumps(data))
        return [(p.kind, p.seq) for p in EmbeddedStore(root).verify().problems]

    assert tampered(lambda e: e["1"].update(cost_usd="0.01")) == [("edit", 1)]
    assert tampered(lambda e: e["1"].update(note="restored?")) == [("edit", 1)]
    # Dropping text by hand, without a purge on the chain, is shown as such.
    data = json.loads(pristine)
    data["entries"]["2"]["sealed"]["by"] = []
    segment.write_text(json.dumps(data))
    kinds = [p.kind for p in EmbeddedStore(root).verify().problems]
    assert "purge" in kinds


def test_bad_retention_config_is_a_clear_error_and_changes_nothing(opledger, ledger_env):
    _config(ledger_env, "[retention.reviews]\nnote = 3\n")
    opledger("workflow", "start", "W1")
    opledger("record", "review", "W1", "--minutes", "3")
    store = Path(ledger_env["OPLEDGER_STORE"])
    before = {p: p.read_bytes() for p in store.rglob("*") if p.is_file() and p.name != ".lock"}
    result = opledger("retention", "apply", check=False)
    assert result.returncode == 2 and "retention.reviews: not a ledger line" in result.stderr and "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in store.rglob("*") if p.is_file() and p.name != ".lock"} == before
    with pytest.raises(ConfigError, match="only actor, note, attrs, text can be dropped"):
        apply_retention(EmbeddedStore(store), Settings(retention={"default": {"cost_usd": 1}}))


def test_forget_replaces_the_person_everywhere_and_keeps_every_number(opledger, opledger_json, ledger_env):
    _config(ledger_env, "store_text = true\n")
    opledger("workflow", "start", "W1", "--owner", "ana.lima")
    opledger("record", "review", "W1", "--minutes", "30", "--actor", "ana.lima", "--note", "ana's notes")
    opledger("record", "context_prep", "W1", "--minutes", "20", "--actor", "bo")
    opledger("record", "review", "W1", "--minutes", "5", "--actor", "ana.lima")
    before = opledger_json("show", "W1", "--json")
    result = opledger_json("forget", "--actor", "ana.lima", "--json")
    assert result["entries"] == 2 and result["workflows"] == 1 and result["pseudonym"].startswith("former-")
    after = opledger_json("show", "W1", "--json")
    assert after["lines"] == before["lines"] and after["total_cost_usd"] == before["total_cost_usd"]
    store_dir = Path(ledger_env["OPLEDGER_STORE"])
    everything = b"".join(p.read_bytes() for p in store_dir.rglob("*.json"))
    assert b"ana.lima" not in everything and b"ana's notes" not in everything
    assert after["workflow"]["owner"] == result["pseudonym"]
    assert "ok: 4 entries, chain intact" in opledger("verify").stdout
    assert "nothing recorded for 'ana.lima'" in opledger("forget", "--actor", "ana.lima").stdout


def test_forget_dry_run_changes_nothing(tmp_path):
    store = EmbeddedStore(tmp_path / "s")
    store.append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=5, actor="x")])
    files = {p: p.read_bytes() for p in (tmp_path / "s").rglob("*.json")}
    assert forget_actor(store, "x", dry_run=True).entries == 1
    assert {p: p.read_bytes() for p in (tmp_path / "s").rglob("*.json")} == files
