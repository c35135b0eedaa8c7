"""The language server and the Slack bot while another process holds the store's lock for seconds.

Both run as real subprocesses (``opledger lsp`` driven by pytest-lsp, ``opledger slack serve``
against the fake Slack API); the test process holds ``store/.lock``. They must keep answering,
say clearly what is wrong when the lock outlasts ``lock_timeout``, finish the work when it is
released in time, and leave the ledger with every decision and minute exactly once.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from lsprotocol import types

TESTS = Path(__file__).resolve().parents[1]
for where in (TESTS, TESTS / "slack"):
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))

from lsp.conftest import WORKFLOW, Project, sample, start_editor, stop_editor  # noqa: E402
from slack_fake_api import FakeSlack  # noqa: E402
from slack_harness import ALICE, BOB, BOT_TOKEN, Bot, bot_env, serving, submission  # noqa: E402

from ledger_core.ledger import ensure_workflow  # noqa: E402
from ledger_core.store import EmbeddedStore  # noqa: E402

LOCK_TIMEOUT = 1.5  # seconds: the surfaces give up on the lock after this


def _lock(store_root: str | Path) -> FileLock:
    # thread_local=False: released from whichever thread the test's timer runs on.
    return FileLock(Path(store_root) / ".lock", thread_local=False)


def _all_messages(editor) -> list[str]:
    return [m.message for m in editor.client.log_messages + editor.client.messages]


# ------------------------------------------------------------------ language server
@pytest.fixture
def project(tmp_path: Path, ledger_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Project:
    cache = tmp_path / "cache"
    ledger_env["OPLEDGER_CACHE_DIR"] = str(cache)
    ledger_env["OPLEDGER_LOCK_TIMEOUT"] = str(LOCK_TIMEOUT)
    monkeypatch.setenv("OPLEDGER_CACHE_DIR", str(cache))
    store = EmbeddedStore(ledger_env["OPLEDGER_STORE"])
    ensure_workflow(store, WORKFLOW, title="locked store")
    root = tmp_path / "repo"
    root.mkdir()
    return Project(root, ledger_env, store)


async def _timed(awaitable, limit: float):
    started = time.monotonic()
    result = await asyncio.wait_for(awaitable, limit)
    return result, time.monotonic() - started


@pytest.mark.asyncio
async def test_language_server_keeps_serving_while_the_store_is_locked(project: Project, opledger_json) -> None:
    path = project.write("app.py", sample(10))
    first = project.region(path, 2, 3)
    second = project.region(path, 6, 7)
    lock = _lock(project.env["OPLEDGER_STORE"])
    editor = await start_editor(project)
    try:
        lock.acquire()
        try:
            # Opened and published during the lock: the regions are read (reads take no lock),
            # recording when they were first shown is a write and has to wait.
            uri = editor.open(path)
            found = await editor.diagnostics(uri, lambda d: len(d) == 2)
            assert {d.data["region"] for d in found} == {first.id, second.id}
            accept = asyncio.ensure_future(editor.command("opledger.accept", uri=uri, region=first.id))
            await asyncio.sleep(0.2)
            # Hover needs no store call: it answers at once, with the accept still waiting.
            hover, took = await _timed(editor.client.text_document_hover_async(
                types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(2, 0))), 5)
            assert hover is not None and "claude-sonnet-4-5" in hover.contents.value and took < 1.0
            assert not accept.done()
            # Status goes through the store thread, behind the waiting writes: it answers once they give up.
            status, _ = await _timed(editor.client.protocol.send_request_async("opledger/status", {"uri": uri}), 3 * LOCK_TIMEOUT + 5)
            assert status.pendingInFile == 2 and status.workflow == WORKFLOW
            refused, _ = await _timed(accept, 10)
            assert refused["ok"] is False and "locked by another process for over 1.5s" in refused["error"]
            messages = _all_messages(editor)
            assert any("store unavailable" in m and "locked" in m for m in (x.message for x in editor.client.log_messages)), messages
            assert any("locked" in m.message for m in editor.client.messages)  # told as a window/showMessage too
            assert all("Traceback" not in m for m in messages)
            # A lock released while a decision waits: the decision goes through.
            accept = asyncio.ensure_future(editor.command("opledger.accept", uri=uri, region=second.id))
            await asyncio.sleep(0.5)
        finally:
            lock.release()
        done, _ = await _timed(accept, 10)
        assert done["ok"] and done["state"] == "accepted"
        # The refused decision, repeated after the lock is gone, is recorded once.
        again = await editor.command("opledger.accept", uri=uri, region=first.id)
        assert again["ok"] and again["state"] == "accepted"
        await editor.diagnostics(uri, lambda d: d == [])
        twice = await editor.command("opledger.accept", uri=uri, region=first.id)
        assert twice["ok"] is False and "already accepted" in twice["error"]
        status = await editor.client.protocol.send_request_async("opledger/status", {"uri": uri})
        assert status.pendingInFile == 0
    finally:
        await stop_editor(editor)
    ledger = opledger_json("show", WORKFLOW, "--json")
    assert {r["id"]: r["state"] for r in ledger["regions"]} == {first.id: "accepted", second.id: "accepted"}
    accepts = [e for e in project.store.entries(workflow=WORKFLOW) if e.kind == "region_accept"]
    assert sorted(e.region for e in accepts) == sorted([first.id, second.id])  # nothing lost, nothing doubled
    assert ledger["lines"]["review"]["count"] == 2
    assert EmbeddedStore(project.env["OPLEDGER_STORE"]).verify().ok


# ------------------------------------------------------------------ Slack bot
@pytest.fixture(scope="module")
def locked_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    fake = FakeSlack(BOT_TOKEN).start()
    tmp = tmp_path_factory.mktemp("slack-locked")
    env = bot_env(tmp, fake) | {"OPLEDGER_LOCK_TIMEOUT": str(LOCK_TIMEOUT)}
    log = tmp / "bot.log"
    try:
        with serving(env, log) as url:
            yield Bot(url=url, fake=fake, env=env, log=log)
    finally:
        fake.stop()


def _timed_call(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


PREP_VALUES = {
    "needed": {"type": "checkboxes", "selected_options": [{"value": "logs"}]},
    "asked": {"type": "multi_users_select", "selected_users": [ALICE, BOB]},
    "minutes": {"type": "number_input", "value": "20"},
    "role": {"type": "static_select", "selected_option": None},
    "signals": {"type": "checkboxes", "selected_options": []},
}


def test_slack_bot_acks_and_answers_while_the_store_is_locked(locked_bot: Bot) -> None:
    bot = locked_bot
    bot.cli("workflow", "start", "LOCK-1", "--team", "core")
    bot.cli("record", "review", "LOCK-1", "--minutes", "5", "--actor", "alice")
    lock = _lock(bot.env["OPLEDGER_STORE"])
    lock.acquire()
    try:
        # /ledger show only reads: acked at once and answered during the lock.
        (ack, path), took = _timed_call(lambda: bot.command("show LOCK-1"))
        assert ack.status_code == 200 and took < 3
        (answer,) = bot.responses(path)
        assert "LOCK-1" in json.dumps(answer) and "locked" not in answer["text"]
        # /ledger prep opens its modal during the lock (reads only).
        (ack, _), took = _timed_call(lambda: bot.command("prep LOCK-1"))
        assert ack.status_code == 200 and took < 3
        view = bot.fake.wait_for("views.open", lambda p: "LOCK-1" in p["view"]["private_metadata"])[-1]["view"]
        # The submission is acked within 3 s; recording waits for the lock, gives up after
        # lock_timeout and tells the person so.
        response, took = _timed_call(lambda: bot.interactive(submission(view, PREP_VALUES, user=ALICE, view_id="VLOCK1")))
        assert response.status_code == 200 and response.text == "" and took < 3
        (told,) = bot.fake.wait_for("chat.postEphemeral", lambda p: "locked" in p.get("text", ""), timeout=15)
        assert "locked by another process for over 1.5s" in told["text"] and told["user"] == ALICE
        # Submitted again with the lock released while it waits: recorded once the lock is free.
        timer = __import__("threading").Timer(0.7, lock.release)
        timer.start()
        response, took = _timed_call(lambda: bot.interactive(submission(view, PREP_VALUES, user=ALICE, view_id="VLOCK1")))
        assert response.status_code == 200 and took < 3
        timer.join()
    finally:
        if lock.is_locked:
            lock.release()
    bot.fake.wait_for("chat.postEphemeral", lambda p: "context prep recorded on LOCK-1" in p.get("text", ""), timeout=15)
    # A third delivery of the same submission (Slack retries, a double click) adds nothing.
    bot.interactive(submission(view, PREP_VALUES, user=ALICE, view_id="VLOCK1"))
    bot.fake.wait_for("chat.postEphemeral", lambda p: "context prep recorded on LOCK-1" in p.get("text", ""), count=2, timeout=15)
    ledger = bot.show("LOCK-1")
    prep = ledger["lines"]["context_prep"]
    assert prep["entries"] == 2 and float(prep["minutes"]) == 20  # 10 min each for alice and bob, once
    assert ledger["lines"]["review"]["entries"] == 1
    assert "Traceback" not in bot.log.read_text()
    assert json.loads(bot.cli("verify", "--json").stdout)["ok"] is True
