"""Socket Mode end to end: ``opledger slack socket`` (slack_sdk's built-in client, as bolt's
``SocketModeHandler`` uses it) opens the URL the fake ``apps.connections.open`` hands out, on a
real websocket server; envelopes are pushed like Slack pushes them and every one must be acked
over the socket with its ``envelope_id`` — then the fake Web API and the ledger are checked."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from slack_fake_api import FakeSlack
from slack_fake_socket import FakeSocket
from slack_harness import ALICE, BOB, BOT_TOKEN, OPLEDGER, Bot, bot_env, message_shortcut, submission

APP_TOKEN = "xapp-1-A0OPLEDGER-1234-socketTESTtoken"


@pytest.fixture(scope="module")
def sock(fake: FakeSlack) -> Iterator[FakeSocket]:
    server = FakeSocket().start()
    fake.socket_mode(APP_TOKEN, server.url)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(fake: FakeSlack, sock: FakeSocket, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    tmp = tmp_path_factory.mktemp("socket")
    env = bot_env(tmp, fake) | {"SLACK_APP_TOKEN": APP_TOKEN}
    del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs no public endpoint, hence no signatures
    log = tmp / "bot.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([OPLEDGER, "slack", "socket"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        sock.wait_connected(timeout=30)
    except AssertionError:
        process.kill()
        raise AssertionError(f"the bot did not connect over Socket Mode:\n{log.read_text()}") from None
    yield Bot(url="", fake=fake, env=env, log=log)
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    assert not fake.violations, f"Block Kit limits broken: {fake.violations}"


def _command(fake: FakeSlack, text: str, user: str = ALICE) -> tuple[dict[str, Any], str]:
    path = f"/respond/{uuid.uuid4().hex}"
    payload = {"token": "legacy", "team_id": "T0FAKE", "team_domain": "fake", "channel_id": "C0GENERAL", "channel_name": "general",
               "user_id": user, "user_name": user.lower(), "command": "/ledger", "text": text, "api_app_id": "A0OPLEDGER",
               "is_enterprise_install": "false", "response_url": fake.url + path, "trigger_id": f"trigger.{uuid.uuid4().hex}"}
    return payload, path


def _event(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {"token": "legacy", "team_id": "T0FAKE", "api_app_id": "A0OPLEDGER", "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()), "event": event, "authorizations": [{"team_id": "T0FAKE", "user_id": "UBOT", "is_bot": True}]}


def test_connects_with_the_app_token_only(bot: Bot, sock: FakeSocket) -> None:
    opened = [c for c in bot.fake.calls if c["method"] == "apps.connections.open"]
    assert opened and {c["token"] for c in opened} == {APP_TOKEN}
    assert sock.paths[0].startswith("/link/?ticket=")
    # Web API calls use the bot token; neither token reaches the log.
    assert any(c["token"] == BOT_TOKEN for c in bot.fake.calls if c["method"] == "auth.test")
    log = bot.log.read_text()
    assert APP_TOKEN not in log and BOT_TOKEN not in log


def test_slash_command_is_acked_over_the_socket_and_answered(bot: Bot, sock: FakeSocket) -> None:
    bot.cli("workflow", "start", "SOCK-1", "--team", "core", "--title", "Socket mode ledger")
    bot.cli("record", "review", "SOCK-1", "--minutes", "30", "--actor", "alice")
    payload, path = _command(bot.fake, "show SOCK-1")
    envelope = sock.push("slash_commands", payload)
    assert sock.wait_ack(envelope) == {"envelope_id": envelope}
    (answer,) = bot.fake.wait_for("response_url", lambda p: p["_path"] == path)
    assert answer["response_type"] == "ephemeral"
    ledger = bot.show("SOCK-1")
    shown = json.dumps(answer["blocks"], ensure_ascii=False)
    assert f"${ledger['total_cost_usd']:,.2f}" in shown and "Socket mode ledger" in shown
    # Bad syntax is answered inside the ack itself (the envelope's response payload).
    payload, _ = _command(bot.fake, "frobnicate SOCK-1")
    envelope = sock.push("slash_commands", payload)
    ack = sock.wait_ack(envelope)
    assert ack["envelope_id"] == envelope
    assert ack["payload"]["response_type"] == "ephemeral" and "/ledger help" in ack["payload"]["text"]


def test_reaction_closes_a_prep_request_once_despite_a_retried_envelope(bot: Bot, sock: FakeSocket) -> None:
    bot.cli("workflow", "start", "SOCK-2", "--team", "core")
    ts = f"{int(time.time())}.{uuid.uuid4().int % 1000000:06d}"
    shortcut = message_shortcut("record_prep_request", "Who knows why the nightly export skips Sundays?", user=ALICE, author=ALICE,
                                channel="C0DEV", ts=ts)
    assert sock.wait_ack(sock.push("interactive", shortcut))["envelope_id"]
    view = bot.fake.wait_for("views.open", lambda p: ts in p["view"]["private_metadata"])[-1]["view"]
    opened = sock.push("interactive", submission(view, {"workflow": {"value": "SOCK-2"}, "needed": {"selected_options": []}}))
    assert sock.wait_ack(opened) == {"envelope_id": opened}
    bot.fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == ts)
    assert bot.show("SOCK-2")["lines"]["context_prep"]["entries"] == 0

    event = _event({"type": "reaction_added", "user": BOB, "reaction": "white_check_mark", "event_ts": f"{time.time():.6f}",
                    "item": {"type": "message", "channel": "C0DEV", "ts": ts}}, event_id=f"Ev{uuid.uuid4().hex[:10]}")
    first = sock.push("events_api", event)
    retry = sock.push("events_api", event, retry_attempt=1, retry_reason="timeout")  # same event_id, new envelope
    assert sock.wait_ack(first) == {"envelope_id": first}
    assert sock.wait_ack(retry) == {"envelope_id": retry}
    bot.fake.wait_for("chat.update", lambda p: "SOCK-2" in json.dumps(p))
    time.sleep(0.5)
    assert len(bot.fake.called("chat.update", lambda p: "SOCK-2" in json.dumps(p))) == 1
    line = bot.show("SOCK-2")["lines"]["context_prep"]
    assert line["entries"] == 1 and Decimal(str(line["minutes"])) >= 1
    audit = json.loads(bot.cli("audit", "SOCK-2", "--format", "json").stdout)
    (section,) = [s for s in audit["sections"] if s["name"] == "context_prep"]
    assert section["items"][0]["actor"] == "bob"  # priced by the responder (staff)


def test_a_retried_mention_is_answered_once(bot: Bot, sock: FakeSocket) -> None:
    bot.cli("workflow", "start", "SOCK-3", "--team", "core")
    ts = f"{int(time.time())}.{uuid.uuid4().int % 1000000:06d}"
    event = _event({"type": "app_mention", "user": ALICE, "text": "<@UBOT> show SOCK-3", "ts": ts, "channel": "C0GENERAL",
                    "event_ts": ts}, event_id=f"Ev{uuid.uuid4().hex[:10]}")
    envelopes = [sock.push("events_api", event)] + [sock.push("events_api", event, retry_attempt=n, retry_reason="timeout") for n in (1, 2)]
    for envelope in envelopes:
        assert sock.wait_ack(envelope) == {"envelope_id": envelope}
    bot.fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == ts)
    time.sleep(0.5)
    assert len(bot.fake.called("chat.postMessage", lambda p: p.get("thread_ts") == ts)) == 1
