"""Fixtures: the fake Slack Web API and the real bot (``opledger slack serve`` in a subprocess)
on loopback, sharing one isolated store per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_fake_api import FakeSlack
from slack_harness import BOT_TOKEN, Bot, bot_env, serving


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack(BOT_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    tmp = tmp_path_factory.mktemp("slack")
    env = bot_env(tmp, fake)
    log = tmp / "bot.log"
    with serving(env, log) as url:
        yield Bot(url=url, fake=fake, env=env, log=log)
    assert not fake.violations, f"Block Kit limits broken: {fake.violations}"
