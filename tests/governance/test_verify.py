"""`opledger verify` names the first broken link and the kind of tampering, on the real store files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ledger_core.models import Entry, EntryDraft, Line
from ledger_core.store import EmbeddedStore


def _store(ledger_env: dict[str, str], n: int = 6) -> Path:
    root = Path(ledger_env["OPLEDGER_STORE"])
    EmbeddedStore(root).append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=m + 1, cost_usd=m + 1) for m in range(n)])
    return root


def _segment(root: Path) -> tuple[Path, dict]:
    path = root / "entries" / "seg-00000000.json"
    return path, json.loads(path.read_text())


def _problems(opledger) -> list[dict]:
    result = opledger("verify", "--json", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    return report["problems"]


def test_intact_chain_verifies(opledger, ledger_env):
    _store(ledger_env)
    assert "ok: 6 entries, chain intact" in opledger("verify").stdout
    assert json_ok(opledger("verify", "--json").stdout)


def json_ok(text: str) -> bool:
    return json.loads(text)["ok"] is True


@pytest.mark.parametrize(
    "field,value", [("cost_usd", "0.01"), ("minutes", "600"), ("workflow", "OTHER"), ("ts", "2020-01-01T00:00:00Z"), ("note", "forged"),
                    ("attrs", {"x": 1}), ("actor", "mallory"), ("tokens", {"input": 1})]
)
def test_edit_of_any_field_is_detected_at_its_seq(tmp_path, field, value):
    root = tmp_path / "s"
    EmbeddedStore(root).append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=m + 1, cost_usd=m + 1) for m in range(6)])
    path, data = _segment(root)
    data["entries"]["3"][field] = value
    path.write_text(json.dumps(data))
    problems = EmbeddedStore(root).verify().problems
    assert [(p.kind, p.seq, p.where) for p in problems] == [("edit", 3, str(path))]


def test_cli_names_the_edited_entry_its_file_and_exits_1(opledger, ledger_env):
    root = _store(ledger_env)
    path, data = _segment(root)
    data["entries"]["3"]["cost_usd"] = "0.01"
    path.write_text(json.dumps(data))
    result = opledger("verify", check=False)
    assert result.returncode == 1
    assert f"broken: edit at seq 3 ({data['entries']['3']['id']}) in {path}" in result.stdout
    assert [(p["kind"], p["seq"]) for p in _problems(opledger)] == [("edit", 3)]


def test_deletion_is_named(opledger, ledger_env):
    root = _store(ledger_env)
    path, data = _segment(root)
    del data["entries"]["2"]
    path.write_text(json.dumps(data))
    problems = _problems(opledger)
    assert [(p["kind"], p["seq"]) for p in problems] == [("deletion", 3)]
    assert "entries 2..2 are missing" in problems[0]["detail"]


def test_reorder_is_named(opledger, ledger_env):
    root = _store(ledger_env)
    path, data = _segment(root)
    entries = data["entries"]
    order = ["0", "1", "3", "2", "4", "5"]
    data["entries"] = {k: entries[k] for k in order}
    path.write_text(json.dumps(data))
    problems = _problems(opledger)
    assert [(p["kind"], p["seq"]) for p in problems] == [("reorder", 3)]


def test_insertion_of_a_forged_entry_is_named(opledger, ledger_env):
    from ledger_core.models import Entry

    root = _store(ledger_env)
    path, data = _segment(root)
    entries = data["entries"]
    # A forger who knows the hash rule links a new entry to seq 1 and gives it seq 2.
    forged = dict(entries["2"], id="forged", cost_usd="999")
    body = {k: v for k, v in forged.items() if k not in ("hash", "prev_hash")}
    forged["hash"] = Entry.compute_hash(forged["prev_hash"], body)
    data["entries"] = {"0": entries["0"], "1": entries["1"], "x": forged, **{k: entries[k] for k in ("2", "3", "4", "5")}}
    path.write_text(json.dumps(data))
    problems = _problems(opledger)
    assert problems[0]["kind"] == "insertion" and problems[0]["seq"] == 2


def test_truncated_segment_is_pinpointed_and_later_segments_still_checked(opledger, ledger_env, monkeypatch):
    import ledger_core.store.embedded as embedded

    root = Path(ledger_env["OPLEDGER_STORE"])
    store = EmbeddedStore(root)
    store.append([EntryDraft(workflow="W", line=Line.REVIEW, minutes=1, cost_usd=1) for _ in range(2500)])
    middle = root / "entries" / "seg-00000001.json"
    raw = middle.read_bytes()
    middle.write_bytes(raw[: len(raw) // 2])
    result = opledger("verify", "--json", check=False)
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert [p["kind"] for p in report["problems"]] == ["corrupt"]
    problem = report["problems"][0]
    assert problem["where"] == str(middle)
    # seq of the first entry lost: the entries before the cut are intact in the file
    intact = len(re.findall(rb'"hash":"[0-9a-f]{64}"}', raw[: len(raw) // 2]))  # complete entries only
    assert problem["seq"] == 1000 + intact
    assert f"seq {1000 + intact} onward" in problem["detail"]
    # segments 0 and 2 are read and their links checked: 1000 + 500 entries, no other problem
    assert report["entries"] == 1500
    # an entry of the last segment can still be fetched
    last = json.loads((root / "entries" / "seg-00000002.json").read_text())["entries"]["2499"]["id"]
    assert EmbeddedStore(root).get_entry(last).seq == 2499
    assert embedded.SEGMENT_SIZE == 1000


def test_garbled_bytes_name_the_file_and_seq(opledger, ledger_env):
    root = _store(ledger_env, 20)
    path = root / "entries" / "seg-00000000.json"
    raw = bytearray(path.read_bytes())
    at = raw.index(b'"seq":12')
    raw[at - 40: at - 30] = b"\x00garbled\xff\x01"
    path.write_bytes(bytes(raw))
    problems = _problems(opledger)
    assert problems[0]["kind"] == "corrupt" and problems[0]["where"] == str(path) and problems[0]["seq"] == 12


def test_verify_of_an_unreadable_store_location_is_a_clear_error(opledger, ledger_env, tmp_path):
    (tmp_path / "afile").write_text("x")
    result = opledger("--store", str(tmp_path / "afile"), "verify", check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "error:" in result.stderr


def test_the_entry_hash_of_a_known_body_never_changes() -> None:
    # Stores written by earlier versions must keep verifying: the hashing rule is frozen.
    body = {"ts": "2026-03-02T09:00:00Z", "workflow": "W", "line": "review", "kind": "manual", "minutes": "30", "actor": "ana",
            "note": "n", "attrs": {"k": [1, 2]}, "id": "01J", "seq": 0}
    assert Entry.compute_hash("0" * 64, body) == "fa2564b35d3299707f3555f653af1b0b8ed88db12ee5b184c9d5bf127aaf8aff"
    sealed = body | {"sealed": {"fields": {"note": "d" * 64}, "by": ["p"]}}
    assert Entry.compute_hash("0" * 64, sealed) == "02531fc7a115835a5d4de5d17af985ff0341d12957d3e225c5c88d7bb21a36e7"
