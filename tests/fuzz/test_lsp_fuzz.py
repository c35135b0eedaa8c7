"""Fuzz campaign: random and malformed request params against the real ``opledger lsp``.

executeCommand arguments, hover and codeAction params, and didChange ranges are generated
(including wrong types, negative and huge positions, ranges past the end of the buffer). Each
request must be answered — a result or a JSON-RPC error, within seconds — and after every
input a follow-up ``opledger/status`` must still answer: the server keeps serving. Nothing is
decided by a malformed command. Seeds are fixed (``derandomize``), examples bounded.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pygls.exceptions import JsonRpcException

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from lsp.conftest import WORKFLOW, Project, sample, start_editor, stop_editor  # noqa: E402

from ledger_core.ledger import ensure_workflow  # noqa: E402
from ledger_core.store import EmbeddedStore  # noqa: E402

FUZZ = settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
ANSWER_WITHIN = 10.0  # seconds
TRIED = {"inputs": 0}
FUZZED_METHODS = {"textDocument/didChange", "workspace/executeCommand", "textDocument/hover", "textDocument/codeAction",
                  "textDocument/codeLens", "opledger/status"}


class Session:
    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPLEDGER_", "CLAUDE_", "CODEX_"))}
        (tmp / "home").mkdir()
        env |= {"OPLEDGER_STORE": str(tmp / "store"), "OPLEDGER_CONFIG": str(tmp / "config.toml"), "HOME": str(tmp / "home"),
                "OPLEDGER_CACHE_DIR": str(tmp / "cache"), "TZ": "UTC"}
        os.environ["OPLEDGER_CACHE_DIR"] = env["OPLEDGER_CACHE_DIR"]  # Project.region saves originals in-process
        store = EmbeddedStore(env["OPLEDGER_STORE"])
        ensure_workflow(store, WORKFLOW, title="lsp fuzz")
        (tmp / "repo").mkdir()
        self.project = Project(tmp / "repo", env, store)
        path = self.project.write("app.py", sample(20))
        self.regions = [self.project.region(path, 2, 3), self.project.region(path, 8, 11)]
        self.editor = self.run(start_editor(self.project))
        self.uri = self.editor.open(path)
        self.run(self.editor.diagnostics(self.uri, lambda d: len(d) == 2))
        # Send params as raw JSON, not through lsprotocol's typed request classes: the point is
        # to send what those classes would refuse to build. Only for the methods fuzzed here:
        # what the server sends (refresh requests without params, diagnostics) must still be
        # read as the real client reads it.
        typed = self.editor.client.protocol.get_message_type
        self.editor.client.protocol.get_message_type = lambda method: None if method in FUZZED_METHODS else typed(method)

    def run(self, coro: Any, limit: float = 60) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, limit))

    def request(self, method: str, params: Any) -> tuple[str, Any]:
        """("ok", result) or ("error", the JSON-RPC error); a hang fails the test."""

        async def send() -> tuple[str, Any]:
            try:
                return "ok", await self.editor.client.protocol.send_request_async(method, params)
            except JsonRpcException as exc:
                return "error", exc

        return self.run(send(), ANSWER_WITHIN)

    def still_serving(self) -> Any:
        kind, status = self.request("opledger/status", {"uri": self.uri})
        assert kind == "ok" and status is not None and status.workflow == WORKFLOW
        return status

    def close(self) -> None:
        try:
            self.run(stop_editor(self.editor))
        finally:
            self.loop.close()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    saved = os.environ.get("OPLEDGER_CACHE_DIR")
    session = Session(tmp_path_factory.mktemp("lsp-fuzz"))
    yield session
    session.close()
    if saved is None:
        os.environ.pop("OPLEDGER_CACHE_DIR", None)
    else:
        os.environ["OPLEDGER_CACHE_DIR"] = saved


def _no_traceback_logged(session: Session) -> None:
    messages = [m.message for m in session.editor.client.log_messages + session.editor.client.messages]
    assert all("Traceback" not in m for m in messages), messages


# ------------------------------------------------------------------ strategies
NUMBER = st.one_of(st.integers(min_value=-5, max_value=40), st.integers(min_value=-(2**40), max_value=2**40),
                   st.floats(allow_nan=True), st.text(max_size=4), st.none(), st.booleans())
POSITION = st.one_of(st.fixed_dictionaries({"line": NUMBER, "character": NUMBER}),
                     st.dictionaries(st.sampled_from(["line", "character", "x"]), NUMBER, max_size=3), NUMBER, st.lists(NUMBER, max_size=2))
RANGE = st.one_of(st.fixed_dictionaries({"start": POSITION, "end": POSITION}), NUMBER, st.dictionaries(st.text(max_size=5), NUMBER, max_size=2))
JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
                       lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                       max_leaves=8)
COMMANDS = st.sampled_from(["opledger.accept", "opledger.reject", "opledger.rework", "opledger.acceptAll", "opledger.showLedger",
                            "opledger.nope", "", "workspace.other"])


@st.composite
def uris(draw) -> Any:
    return draw(st.one_of(st.just("OPEN"), st.sampled_from(["file:///nowhere.py", "untitled:1", "", "file://", "http://x/y", "%%%"]),
                          NUMBER, st.text(max_size=10)))


def _fill(session: Session, value: Any) -> Any:
    return session.uri if value == "OPEN" else value


@st.composite
def command_arguments(draw) -> Any:
    obj = draw(st.dictionaries(st.sampled_from(["uri", "region", "position", "reason", "workflow", "extra"]),
                               st.one_of(uris(), POSITION, JSONISH, st.sampled_from(["wrong_approach", "style", "nope"])),
                               max_size=4))
    return draw(st.one_of(st.just([obj]), st.lists(JSONISH, max_size=3), JSONISH))


@FUZZ
@given(command=COMMANDS, arguments=command_arguments())
def test_execute_command_with_random_arguments_answers_and_decides_nothing(session: Session, command, arguments):
    TRIED["inputs"] += 1
    if isinstance(arguments, list) and command == "opledger.showLedger":  # reading is harmless: let it see the open file
        arguments = [{k: _fill(session, v) for k, v in a.items()} if isinstance(a, dict) else a for a in arguments]
    kind, result = session.request("workspace/executeCommand", {"command": command, "arguments": arguments})
    assert kind == "error" or result is None or not getattr(result, "ok", False) or command == "opledger.showLedger", result
    session.still_serving()


# Negative numbers do not structure (LSP uintegers); such requests get InvalidParams (test below).
INT = st.one_of(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=2**31 - 1))
WELL_TYPED_POSITION = st.fixed_dictionaries({"line": INT, "character": INT})
WELL_TYPED_RANGE = st.fixed_dictionaries({"start": WELL_TYPED_POSITION, "end": WELL_TYPED_POSITION})
DIAGNOSTIC = st.fixed_dictionaries({"range": WELL_TYPED_RANGE, "message": st.text(max_size=10)},
                                   optional={"source": st.sampled_from(["opledger", "other"]), "data": JSONISH})


@FUZZ
@given(method=st.sampled_from(["textDocument/hover", "textDocument/codeAction", "textDocument/codeLens", "opledger/status"]),
       uri=uris(), position=WELL_TYPED_POSITION, rng=WELL_TYPED_RANGE, diagnostics=st.lists(DIAGNOSTIC, max_size=3))
def test_hover_code_action_and_status_with_random_params_answer(session: Session, method, uri, position, rng, diagnostics):
    """Well-typed but wrong values: positions before, inside and far past the document, foreign
    and unknown URIs, diagnostics with random data."""
    TRIED["inputs"] += 1
    uri = _fill(session, uri)
    params = {"textDocument": {"uri": uri if isinstance(uri, str) else str(uri)}, "position": position, "range": rng,
              "context": {"diagnostics": diagnostics}}
    session.request(method, params)  # a result or an error; a hang or a dead server fails
    session.still_serving()


def test_a_request_with_params_of_the_wrong_shape_is_answered(session: Session):
    """pygls 2.1 would drop it silently; the server answers InvalidParams and keeps serving."""

    async def send() -> Any:
        try:
            return await session.editor.client.protocol.send_request_async(
                "textDocument/hover", {"textDocument": {"uri": session.uri}, "position": {}})
        except JsonRpcException as exc:
            return exc

    answer = session.loop.run_until_complete(asyncio.wait_for(send(), 3))
    assert isinstance(answer, JsonRpcException) and answer.code == -32602
    session.still_serving()


@FUZZ
@given(rng=RANGE, text=st.text(max_size=30), version=NUMBER, whole=st.booleans())
def test_did_change_with_random_ranges_is_applied_or_logged(session: Session, rng, text, version, whole):
    TRIED["inputs"] += 1
    change = {"text": text} if whole else {"range": rng, "text": text}
    session.editor.client.protocol.notify("textDocument/didChange",
                                          {"textDocument": {"uri": session.uri, "version": version}, "contentChanges": [change]})
    session.still_serving()
    # Put the buffer back so the next example starts from the same document.
    session.editor.client.protocol.notify("textDocument/didChange", {"textDocument": {"uri": session.uri, "version": 10**6},
                                                                     "contentChanges": [{"text": session.editor.text(session.uri)}]})


def test_after_the_campaign_nothing_was_decided_and_the_server_still_works(session: Session):
    session.still_serving()
    _no_traceback_logged(session)
    assert {r.state.value for r in session.project.store.regions()} <= {"pending", "superseded"}
    assert not [e for e in session.project.store.entries(workflow=WORKFLOW) if e.kind.startswith("region_")]
    assert session.project.store.verify().ok
    print(f"lsp fuzz: {TRIED['inputs']} inputs tried")
