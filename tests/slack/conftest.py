"""Fixtures: the fake Slack Web API and the real bot (``opledger slack serve`` in a subprocess)
on loopback, sharing one isolated store per test module."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from slack_fake_api import FakeSlack
from slack_harness import BOT_TOKEN, OPLEDGER, Bot, bot_env, free_port


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack(BOT_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    tmp = tmp_path_factory.mktemp("slack")
    env = bot_env(tmp, fake)
    port = free_port()
    log = tmp / "bot.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([OPLEDGER, "slack", "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the bot did not start:\n{log.read_text()}")
        time.sleep(0.1)
    yield Bot(url=url, fake=fake, env=env, log=log)
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    assert not fake.violations, f"Block Kit limits broken: {fake.violations}"
