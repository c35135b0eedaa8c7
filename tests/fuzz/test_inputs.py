"""Fuzz campaign: CLI arguments, config files, hook payloads and transcript lines.

Whatever comes in: no traceback, a clear ``error: ...`` on rejection (exit 2 or 3), and
nothing written to the store when the input is rejected. Seeds are fixed (``derandomize``)
so a failure reproduces; example counts are bounded to keep the campaign short.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ledger_core.cli import main
from ledger_core.config import load_settings
from ledger_core.errors import LedgerError
from ledger_core.models import Workflow
from ledger_core.store import EmbeddedStore

OPLEDGER = str(Path(sys.executable).with_name("opledger"))
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

COMMANDS = [["record"], ["record", "review", "W1"], ["record", "inference", "W1"], ["workflow", "start"], ["workflow", "move"],
            ["show"], ["report"], ["audit"], ["verify"], ["export"], ["forget"], ["retention", "apply"], ["correct"], ["config", "set"]]
OPTIONS = ["--minutes", "--tokens", "--model", "--count", "--usd", "--kind", "--actor", "--note", "--at", "--ref", "--json", "--since",
           "--until", "--week", "--format", "-o", "--export", "--pubkey", "--sign", "--by", "--dry-run", "--team", "--role"]
VALUES = st.one_of(
    st.sampled_from(["W1", "-1", "1e400", "NaN", "inf", "0", "12.5", "2026-13-45", "2026-W99", "review", "", " ", "../x", "--", "é",
                     "claude-sonnet-4", "x" * 300, "{}", "null", "\x00"]),
    st.text(min_size=0, max_size=12).filter(lambda s: "\x00" not in s),
)
ARGS = st.tuples(st.sampled_from(COMMANDS), st.lists(st.one_of(st.sampled_from(OPTIONS), VALUES), max_size=6)).map(lambda t: [*t[0], *t[1]])


def _files(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != ".lock" and "_indexed" not in p.name}


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "store"
    store = EmbeddedStore(root)
    store.put_workflow(Workflow(key="W1"))
    monkeypatch.setenv("OPLEDGER_STORE", str(root))
    monkeypatch.setenv("OPLEDGER_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return root


@FUZZ
@given(argv=ARGS)
def test_cli_arguments_never_crash_and_rejections_write_nothing(seeded, capsys, argv):
    before = _files(seeded)
    try:
        status = main(argv)
    except SystemExit as exc:  # click's --help paths
        status = exc.code or 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if status not in (0, 1):
        assert status in (2, 3) and err.strip(), (argv, status, err)
        assert _files(seeded) == before, argv


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(argv=ARGS)
def test_cli_arguments_through_the_real_command(tmp_path_factory, argv):
    tmp = tmp_path_factory.mktemp("cli")
    root = tmp / "store"
    EmbeddedStore(root).put_workflow(Workflow(key="W1"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPLEDGER_")} | {
        "OPLEDGER_STORE": str(root), "OPLEDGER_CONFIG": str(tmp / "c.toml"), "HOME": str(tmp)}
    before = _files(root)
    result = subprocess.run([OPLEDGER, *argv], env=env, cwd=tmp, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, (argv, result.stderr)
    if result.returncode not in (0, 1):
        assert result.returncode in (2, 3) and result.stderr.strip()
        assert _files(root) == before


TOML_VALUES = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.booleans(), st.text(max_size=10),
                        st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=6), st.integers(-5, 400), max_size=3))
KEYS = st.sampled_from(["store", "team", "rates", "default_role", "actors", "review_focus_multiplier", "review_minutes_cap", "store_text",
                        "redact_patterns", "retention", "sensitive_paths", "allowed_models", "lock_timeout", "ci_usd_per_minute", "typo_key"])


@FUZZ
@given(doc=st.dictionaries(KEYS, TOML_VALUES, max_size=5), junk=st.binary(max_size=20))
def test_config_files_load_or_fail_with_a_config_error(tmp_path_factory, doc, junk):
    import tomlkit

    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    for raw in (tomlkit.dumps({k: v for k, v in doc.items() if not (isinstance(v, float) and v != v)}).encode(), junk):
        path.write_bytes(raw)
        try:
            loaded = load_settings(path)
        except LedgerError as exc:
            assert str(path) in str(exc) or "config" in str(exc)
            continue
        from ledger_core.redaction import check_patterns
        from ledger_core.retention import retention_policy

        for check in (check_patterns, retention_policy):
            try:
                check(loaded)
            except LedgerError:
                pass


PAYLOAD_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
                             lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@FUZZ
@given(payload=st.fixed_dictionaries(
    {"hook_event_name": st.sampled_from(["PostToolUse", "Stop", "SessionEnd", "PreToolUse", "x"])},
    optional={"tool_name": st.sampled_from(["Edit", "Write", "MultiEdit", "NotebookEdit", "Bash"]),
              "tool_input": st.one_of(PAYLOAD_VALUE, st.fixed_dictionaries({"file_path": st.sampled_from(["/nonexistent/a.py", "", "rel.py"])},
                                                                         optional={"old_string": st.text(max_size=10), "new_string": st.text(max_size=10), "content": st.text(max_size=10)})),
              "session_id": PAYLOAD_VALUE, "cwd": PAYLOAD_VALUE, "transcript_path": st.sampled_from(["/nonexistent.jsonl", "", 5]),
              "tool_use_id": PAYLOAD_VALUE}),
       raw=st.one_of(st.none(), st.binary(max_size=30)))
def test_hook_payloads_never_fail_the_agent_nor_log_an_internal_error(seeded, tmp_path, monkeypatch, capsys, payload, raw):
    from ledger_core.hooks import run_hook

    log = tmp_path / "hook.log"
    log.unlink(missing_ok=True)
    monkeypatch.setenv("OPLEDGER_HOOK_SYNC", "1")
    monkeypatch.setenv("OPLEDGER_HOOK_LOG", str(log))
    before = _files(seeded)
    data = raw if raw is not None else json.dumps(payload).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert run_hook(["claude-code"]) == 0
    assert capsys.readouterr().out == ""
    # Unparseable input is rejected "while reading the payload"; anything else naming an
    # exception type is an internal error the hook swallowed.
    text = "\n".join(line for line in (log.read_text() if log.exists() else "").splitlines() if "while reading the payload" not in line)
    for internal in ("Error", "Exception"):
        assert internal not in text, (payload, text)
    assert _files(seeded) == before  # nothing here points at a real edited file or transcript


TRANSCRIPT_LINE = st.one_of(
    st.text(max_size=40),
    st.builds(json.dumps, st.fixed_dictionaries({"type": st.sampled_from(["assistant", "user", "summary", "system"])},
                                                optional={"message": PAYLOAD_VALUE, "timestamp": st.sampled_from(["2026-01-01T00:00:00Z", "bad", 3]),
                                                          "sessionId": PAYLOAD_VALUE, "uuid": PAYLOAD_VALUE, "requestId": PAYLOAD_VALUE,
                                                          "isSidechain": PAYLOAD_VALUE})),
)


@FUZZ
@given(lines=st.lists(TRANSCRIPT_LINE, max_size=6))
def test_transcript_lines_import_or_are_skipped_never_crash(tmp_path_factory, lines):
    from ledger_core.config import Settings
    from ledger_core.importers.claude_code import import_paths

    tmp = tmp_path_factory.mktemp("tr")
    path = tmp / "session.jsonl"
    path.write_text("\n".join(lines) + "\n")
    store = EmbeddedStore(tmp / "store")
    try:
        import_paths(store, Settings(store=str(tmp / "store")), [path])
    except LedgerError:
        pass
    assert store.verify().ok
