"""``/ledger show|audit|report|help`` end to end: ack at once, the answer through response_url,
the full audit as a file (files upload v2) in the asker's DM, 50 simultaneous commands."""

from __future__ import annotations

import concurrent.futures
import json
import time

import pytest
from slack_harness import ALICE, Bot


@pytest.fixture(scope="module")
def workflow(bot: Bot) -> str:
    key = "CMD-1"
    bot.cli("workflow", "start", key, "--team", "core", "--owner", "alice", "--title", "Retry budget for the importer")
    bot.cli("record", "inference", key, "--tokens", "120000", "--output-tokens", "30000", "--model", "claude-sonnet-4-5")
    bot.cli("record", "review", key, "--minutes", "40", "--actor", "alice")
    bot.cli("record", "rework", key, "--count", "1", "--kind", "bounce", "--minutes", "25", "--actor", "bob")
    return key


def _text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_show_answers_only_the_asker_with_the_eight_lines(bot: Bot, workflow: str) -> None:
    response, path = bot.command(f"show {workflow}")
    assert response.status_code == 200 and response.text == ""
    (answer,) = bot.responses(path)
    assert answer["response_type"] == "ephemeral"
    shown = _text(answer["blocks"])
    ledger = bot.show(workflow)
    for line in ledger["lines"]:
        assert line in shown
    assert f"${ledger['total_cost_usd']:,.2f}" in shown  # the same total the CLI computes
    assert "Retry budget" in shown


def test_show_share_posts_in_channel(bot: Bot, workflow: str) -> None:
    _, path = bot.command(f"show {workflow} share")
    (answer,) = bot.responses(path)
    assert answer["response_type"] == "in_channel"


def test_unknown_workflow_and_bad_syntax_get_a_helpful_private_reply(bot: Bot) -> None:
    before = bot.cli("verify", "--json").stdout
    _, path = bot.command("show NOPE-404")
    (answer,) = bot.responses(path)
    assert answer["response_type"] == "ephemeral" and "unknown workflow 'NOPE-404'" in answer["text"]
    bad, _ = bot.command("frobnicate CMD-1")
    assert bad.status_code == 200
    body = bad.json()
    assert body["response_type"] == "ephemeral" and "/ledger help" in body["text"]
    missing, _ = bot.command("show")
    assert "needs a workflow key" in missing.json()["text"]
    helped, _ = bot.command("help")
    assert "/ledger show WF" in json.dumps(helped.json()["blocks"])
    assert bot.cli("verify", "--json").stdout == before


def test_audit_summary_and_the_full_audit_as_a_dm_file(bot: Bot, workflow: str) -> None:
    _, path = bot.command(f"audit {workflow}", user=ALICE)
    (answer,) = bot.responses(path)
    assert "Ledger Audit" in _text(answer["blocks"])
    (complete,) = bot.fake.wait_for("files.completeUploadExternal", lambda p: workflow in json.dumps(p))
    assert complete["channel_id"] == f"D{ALICE}"
    file_id = complete["files"][0]["id"] if isinstance(complete["files"], list) else json.loads(complete["files"])[0]["id"]
    content = bot.fake.uploads[file_id].decode()
    assert content.startswith(f"# Ledger Audit — {workflow}")
    assert bot.fake.called("files.getUploadURLExternal", lambda p: p["filename"] == f"ledger-audit-{workflow}.md")


def test_report_for_a_week(bot: Bot, workflow: str) -> None:
    label = time.strftime("%G-W%V", time.gmtime())
    _, path = bot.command(f"report {label} core")
    (answer,) = bot.responses(path)
    assert f"Team report · {label} · core" in _text(answer["blocks"])
    assert workflow in _text(answer["blocks"])
    bad, _ = bot.command("report 2026-W99")
    assert "bad week" in bad.json()["text"]


def test_fifty_simultaneous_show_commands_are_all_acknowledged_and_answered(bot: Bot, workflow: str) -> None:
    def one(_: int):
        started = time.perf_counter()
        response, path = bot.command(f"show {workflow}")
        return response.status_code, time.perf_counter() - started, path

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(one, range(50)))
    assert [status for status, _, _ in results] == [200] * 50
    # Slack gives up after 3 s; every ack must beat that even under load.
    assert max(seconds for _, seconds, _ in results) < 3
    paths = {path for _, _, path in results}
    answered = bot.fake.wait_for("response_url", lambda p: p["_path"] in paths, count=50, timeout=60)
    assert len({a["_path"] for a in answered}) == 50
