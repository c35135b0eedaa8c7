"""Signed exports: `opledger keygen`, `export --sign`, and a third party's `verify --export --pubkey`."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from ledger_core.errors import InvalidInput, LedgerError
from ledger_core.export import generate_key, verify_export, write_export
from ledger_core.models import EntryDraft, Line
from ledger_core.store import EmbeddedStore


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    s = EmbeddedStore(tmp_path / "s")
    s.append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=m + 1, cost_usd=m + 1, actor="ana") for m in range(5)])
    return s


def test_signed_export_round_trip_through_the_cli(opledger, ledger_env, tmp_path):
    opledger("workflow", "start", "W1")
    opledger("record", "review", "W1", "--minutes", "12", "--actor", "ana")
    opledger("keygen", "-o", str(tmp_path / "keys" / "ledger"))
    private = tmp_path / "keys" / "ledger"
    assert private.stat().st_mode & 0o777 == 0o600
    out = tmp_path / "ledger.jsonl"
    summary = json.loads(opledger("export", "--sign", str(private), "-o", str(out), "--json").stdout)
    assert summary["signed"] is True and summary["entries"] == 1
    checked = json.loads(opledger("verify", "--export", str(out), "--pubkey", str(private) + ".pub", "--json").stdout)
    assert checked["ok"] is True and checked["signature_valid"] is True and checked["key_id"] == summary["key_id"]
    # A third party edits a number: the signature no longer verifies and the chain names the entry.
    payload, signature = out.read_bytes().split(b"\n")[:2]
    data = orjson.loads(payload)
    data["entries"][0]["cost_usd"] = "0.01"
    out.write_bytes(orjson.dumps(data) + b"\n" + signature + b"\n")
    result = opledger("verify", "--export", str(out), "--pubkey", str(private) + ".pub", check=False)
    assert result.returncode == 1
    assert "broken: signature" in result.stdout and "payload was changed after it was signed" in result.stdout
    assert "broken: edit at seq 0" in result.stdout


def test_another_key_and_an_unsigned_export_fail(store, tmp_path):
    generate_key(tmp_path / "a")
    generate_key(tmp_path / "b")
    signed = tmp_path / "signed.jsonl"
    write_export(store, signed, key_path=tmp_path / "a")
    assert verify_export(signed, tmp_path / "a.pub").ok
    wrong = verify_export(signed, tmp_path / "b.pub")
    assert not wrong.ok and "signed by another key" in wrong.problems[0].detail
    unsigned = tmp_path / "unsigned.jsonl"
    write_export(store, unsigned)
    check = verify_export(unsigned, tmp_path / "a.pub")
    assert not check.ok and check.problems[0].detail == "the export is not signed"
    assert verify_export(unsigned).ok and verify_export(unsigned).signature_valid is None


def test_cut_off_tail_is_detected_even_when_the_chain_is_intact(store, tmp_path):
    out = tmp_path / "e.jsonl"
    write_export(store, out)
    data = orjson.loads(out.read_bytes().splitlines()[0])
    data["entries"] = data["entries"][:-1]
    out.write_bytes(orjson.dumps(data) + b"\n")
    check = verify_export(out)
    assert not check.ok and check.problems[0].kind == "deletion" and "declares 5 entries" in check.problems[0].detail


def test_a_broken_chain_is_not_exported(store, tmp_path):
    segment = Path(store.root) / "entries" / "seg-00000000.json"
    data = json.loads(segment.read_text())
    data["entries"]["1"]["minutes"] = "99"
    segment.write_text(json.dumps(data))
    with pytest.raises(LedgerError, match="chain is broken"):
        write_export(EmbeddedStore(store.root), tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()


def test_bad_key_and_file_inputs_are_clear_errors(store, tmp_path):
    (tmp_path / "notakey").write_text("hello")
    with pytest.raises(InvalidInput, match="not an unencrypted PEM private key"):
        write_export(store, tmp_path / "x.jsonl", key_path=tmp_path / "notakey")
    generate_key(tmp_path / "k")
    with pytest.raises(InvalidInput, match="exists; refusing to overwrite"):
        generate_key(tmp_path / "k")
    with pytest.raises(InvalidInput, match="is not an Ed25519 private key|not an unencrypted PEM private key"):
        write_export(store, tmp_path / "x.jsonl", key_path=tmp_path / "k.pub")
    (tmp_path / "junk.jsonl").write_text("not json\n")
    with pytest.raises(InvalidInput, match="is not an opledger export"):
        verify_export(tmp_path / "junk.jsonl")


def test_export_of_a_sealed_ledger_still_verifies(store, tmp_path):
    from ledger_core.retention import forget_actor

    forget_actor(store, "ana")
    generate_key(tmp_path / "k")
    write_export(store, tmp_path / "e.jsonl", key_path=tmp_path / "k")
    check = verify_export(tmp_path / "e.jsonl", tmp_path / "k.pub")
    assert check.ok and check.entries == 6
