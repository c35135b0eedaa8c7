"""Hypothesis fuzzing of both transcript importers: mutated lines never crash an import, and
every line that cannot be read is reported with its file and line number."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger_core.config import Settings
from ledger_core.importers import claude_code, codex
from ledger_core.store import EmbeddedStore

from .conftest import SHARED_DATA

CLAUDE_LINES = [
    raw for raw in (SHARED_DATA / "claude-code" / "marot-spotter" / "short.jsonl").read_bytes().splitlines() if raw.strip()
][:40]
CODEX_LINES = sorted((SHARED_DATA / "codex" / "madshn-localpush" / "raw" / "sessions").glob("*.jsonl"))[0].read_bytes().splitlines()[:60]

mutation = st.one_of(
    st.tuples(st.just("cut"), st.integers(0, 400)),
    st.tuples(st.just("bytes"), st.binary(max_size=30)),
    st.tuples(st.just("swap"), st.sampled_from(['"usage"', '"timestamp"', '"message"', '"requestId"', '"input_tokens"', '"info"', '"payload"'])),
    st.tuples(st.just("value"), st.sampled_from(["null", "-5", '"x"', "[]", "{}", "1e309", "true"])),
)


def mutate(line: bytes, how: tuple) -> bytes:
    kind, arg = how
    if kind == "cut":
        return line[: arg % (len(line) + 1)]
    if kind == "bytes":
        middle = len(line) // 2
        return line[:middle] + arg.replace(b"\n", b" ") + line[middle:]
    if kind == "swap":
        return line.replace(arg.encode(), b'"zz"', 1)
    return line.replace(b":0,", f":{arg},".encode(), 1).replace(b": 0,", f": {arg},".encode(), 1)


def _run(module, lines: list[bytes], picks: list[tuple[int, tuple]], tmp: Path) -> None:
    mutated = list(lines)
    for index, how in picks:
        mutated[index % len(mutated)] = mutate(mutated[index % len(mutated)], how)
    folder = tmp / "in"
    folder.mkdir(parents=True)
    target = folder / "session.jsonl"
    target.write_bytes(b"\n".join(mutated) + b"\n")
    store = EmbeddedStore(tmp / "store")
    summary = module.import_paths(store, Settings(store=str(tmp / "store")), [folder])
    assert summary.lines == len(mutated)
    broken = 0
    for raw in mutated:
        stripped = raw.strip()
        try:
            json.loads(stripped) if stripped else None
        except (ValueError, UnicodeDecodeError):
            # Codex reads every line; Claude Code parses the lines that can carry facts and
            # checks the others are whole objects, so a break inside those may pass unseen.
            looks_whole = stripped[:1] == b"{" and stripped[-1:] == b"}"
            if module is codex or b'"usage"' in stripped or not looks_whole:
                broken += 1
    assert broken <= summary.skipped_count <= len(mutated)
    assert all(file == str(target) and 1 <= line <= len(mutated) for file, line, _ in summary.skipped)
    again = module.import_paths(store, Settings(store=str(tmp / "store")), [folder])
    assert again.entries_added == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.tuples(st.integers(0, 10_000), mutation), min_size=1, max_size=6))
def test_claude_code_survives_mutated_lines(picks, tmp_path_factory):
    _run(claude_code, CLAUDE_LINES, picks, tmp_path_factory.mktemp("cc"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.tuples(st.integers(0, 10_000), mutation), min_size=1, max_size=6))
def test_codex_survives_mutated_lines(picks, tmp_path_factory):
    _run(codex, CODEX_LINES, picks, tmp_path_factory.mktemp("cx"))


def test_malformed_lines_are_reported_where_they_are(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    good = CLAUDE_LINES[:5]
    (folder / "s.jsonl").write_bytes(b"\n".join([*good, b'{"type":"assistant","message":{"usage":', b"not json", *good]) + b"\n")
    summary = claude_code.import_paths(EmbeddedStore(tmp_path / "store"), Settings(store=str(tmp_path / "store")), [folder])
    assert [(line, reason) for _, line, reason in summary.skipped] == [(6, "malformed JSON"), (7, "not a JSON object")]
