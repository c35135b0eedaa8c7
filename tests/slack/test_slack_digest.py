"""The weekly digest: numbers from the ledger (same definitions as ``opledger report``), advice
from the data, DMs to configured managers only, a chart through files upload v2, idempotent per
(team, week, recipient); and the bot's own schedule."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from slack_fake_api import FakeSlack
from slack_harness import MANAGER, OPLEDGER, bot_env

from ledger_core import ledger
from ledger_core.config import Settings
from ledger_core.metrics import week_period
from ledger_core.models import Line, Tokens, WorkflowState
from ledger_core.store import EmbeddedStore
from slack_bot.schedule import next_run, week_before
from slack_bot.settings import parse_schedule

WEEK, LAST_WEEK = "2026-W10", "2026-W09"


def _day(week: str, offset_days: float) -> datetime:
    return week_period(week).since + timedelta(days=offset_days)  # type: ignore[operator]


def _workflow(store, settings, key: str, week: str, *, prep: bool, bounces: int, review_minutes: int, tokens: int, team: str = "core") -> None:
    ledger.start_workflow(store, key, team=team, title=f"{key} work", at=_day(week, 0))
    ledger.record(store, settings, Line.INFERENCE, key, tokens=Tokens(input=tokens, output=tokens // 5), model="claude-sonnet-4-5",
                  at=_day(week, 0.5))
    if prep:
        ledger.record(store, settings, Line.CONTEXT_PREP, key, minutes=Decimal(20), actor="alice", at=_day(week, 0.2))
    ledger.record(store, settings, Line.REVIEW, key, minutes=Decimal(review_minutes), actor="bob", at=_day(week, 1))
    for n in range(bounces):
        ledger.record(store, settings, Line.REWORK, key, kind="bounce", count=1, minutes=Decimal(30), actor="bob", at=_day(week, 1.5 + n / 10))
    ledger.transition(store, key, WorkflowState.MERGED, at=_day(week, 2))
    ledger.transition(store, key, WorkflowState.VERIFIED, at=_day(week, 3))


@pytest.fixture
def env(tmp_path: Path, fake: FakeSlack) -> dict[str, str]:
    env = bot_env(tmp_path, fake)
    store = EmbeddedStore(env["OPLEDGER_STORE"])
    settings = Settings(store=env["OPLEDGER_STORE"], actors={"alice": "senior", "bob": "staff"})
    _workflow(store, settings, "LW-1", LAST_WEEK, prep=True, bounces=0, review_minutes=20, tokens=200_000)
    _workflow(store, settings, "W-BIG", WEEK, prep=False, bounces=2, review_minutes=90, tokens=900_000)
    _workflow(store, settings, "W-MID", WEEK, prep=False, bounces=1, review_minutes=60, tokens=400_000)
    _workflow(store, settings, "W-PREP", WEEK, prep=True, bounces=0, review_minutes=15, tokens=300_000)
    _workflow(store, settings, "W-SMALL", WEEK, prep=True, bounces=0, review_minutes=5, tokens=50_000)
    _workflow(store, settings, "OTHER-1", WEEK, prep=False, bounces=0, review_minutes=5, tokens=10_000, team="platform")
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPLEDGER, *args], capture_output=True, text=True, env=env, timeout=120)


def test_digest_numbers_match_the_report_and_the_advice_follows_the_data(env: dict[str, str]) -> None:
    digest = json.loads(run(env, "digest", "--week", WEEK, "--team", "core", "--json").stdout)["digest"]
    report = json.loads(run(env, "report", "--week", WEEK, "--team", "core", "--json").stdout)["metrics"]
    before = json.loads(run(env, "report", "--week", LAST_WEEK, "--team", "core", "--json").stdout)["metrics"]
    assert digest["verified_outcomes"] == 4 and digest["previous_verified_outcomes"] == 1
    for name in ("cost_per_verified_outcome", "invoice_share", "acceptance_rate", "rework_rate", "defect_escape_rate",
                 "cycle_time_median_hours", "cycle_time_p90_hours"):
        assert digest[name] == pytest.approx(report[name]) if report[name] is not None else digest[name] is None, name
    expected_change = report["cost_per_verified_outcome"] / before["cost_per_verified_outcome"] - 1
    assert digest["cost_change"] == pytest.approx(expected_change)
    assert [w["key"] for w in digest["costliest"]] == ["W-BIG", "W-MID", "W-PREP"]
    big = digest["costliest"][0]
    assert sum(cost for _, cost in big["lines"]) == pytest.approx(big["total_cost_usd"])
    # Both reworked workflows had no context prep; the prepared ones were not sent back.
    assert "2 of the 2 workflows sent back had no context prep" in digest["advice"]
    text = run(env, "digest", "--week", WEEK, "--team", "core").stdout
    assert "The model bill shows" in text and "W-BIG" in text and "OTHER-1" not in text


def test_post_dms_each_manager_with_a_chart_once_per_team_week_recipient(env: dict[str, str], fake: FakeSlack) -> None:
    first = run(env, "digest", "--week", WEEK, "--team", "core", "--post", "--channel", "C0LEADS", "--json")
    assert first.returncode == 0, first.stderr
    delivery = json.loads(first.stdout)["delivery"]
    assert delivery["sent"] == [MANAGER, "C0LEADS"] and delivery["chart"] is True
    dm = fake.wait_for("chat.postMessage", lambda p: p["channel"] == f"D{MANAGER}" and WEEK in json.dumps(p))[-1]
    assert "Cost per verified outcome" in json.dumps(dm["blocks"])
    assert fake.called("chat.postMessage", lambda p: p["channel"] == "C0LEADS" and WEEK in json.dumps(p))
    # files upload v2: URL, the bytes to it, completion into the DM.
    complete = fake.wait_for("files.completeUploadExternal", lambda p: p.get("channel_id") == f"D{MANAGER}")[-1]
    files = complete["files"] if isinstance(complete["files"], list) else json.loads(complete["files"])
    assert fake.uploads[files[0]["id"]].startswith(b"\x89PNG")
    posted = len(fake.calls)
    second = run(env, "digest", "--week", WEEK, "--team", "core", "--post", "--channel", "C0LEADS", "--json")
    assert json.loads(second.stdout)["delivery"]["already_sent"] == [MANAGER, "C0LEADS"]
    assert [c["method"] for c in fake.calls[posted:]] == []  # nothing reached Slack


def test_only_configured_managers_get_a_team_digest(env: dict[str, str], fake: FakeSlack) -> None:
    # "platform" has no managers: without a channel there is nobody to send to.
    refused = run(env, "digest", "--week", WEEK, "--team", "platform", "--post")
    assert refused.returncode == 2 and "no digest recipients" in refused.stderr
    sent = json.loads(run(env, "digest", "--week", WEEK, "--team", "platform", "--post", "--channel", "C0PLAT", "--json").stdout)
    assert sent["delivery"]["sent"] == ["C0PLAT"]
    assert not fake.called("chat.postMessage", lambda p: p["channel"] == f"D{MANAGER}" and "platform" in json.dumps(p))


def test_the_schedule_fires_at_the_local_day_and_time_for_the_week_before() -> None:
    schedule = parse_schedule("mon 09:00 Europe/Berlin")
    # Monday 2026-03-09 07:59 UTC is 08:59 in Berlin: the digest is due a minute later.
    due = next_run(datetime(2026, 3, 9, 7, 59, tzinfo=UTC), schedule)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    assert next_run(due, schedule).astimezone(UTC) == datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
    assert week_before(due, schedule).label == "2026-W10"
    with pytest.raises(ValueError, match="digest schedule"):
        parse_schedule("someday 25:00")
