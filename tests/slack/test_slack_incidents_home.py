"""Incident links (shortcut and ``/ledger incident``), App Home, and mentions answered in threads."""

from __future__ import annotations

import json
from decimal import Decimal

from slack_harness import ALICE, BOB, Bot, message_shortcut, submission


def _view(bot: Bot, marker: str, method: str = "views.open") -> dict:
    return bot.fake.wait_for(method, lambda p: marker in json.dumps(p))[-1]["view"]


def _incident_values(workflows: str, hours: str, regions: str = "") -> dict:
    return {
        "workflows": {"value": workflows}, "regions": {"value": regions}, "title": {"value": "Checkout 500s after deploy"},
        "severity": {"selected_option": {"value": "sev2"}}, "hours": {"value": hours},
        "people": {"selected_users": [ALICE, BOB]}, "impact": {"selected_option": {"value": "high"}},
        "link": {"value": "https://status.example.com/incidents/42"},
    }


def test_shortcut_on_an_alert_records_an_escaped_defect(bot: Bot) -> None:
    bot.cli("workflow", "start", "INC-1", "--team", "core")
    bot.cli("workflow", "merge", "INC-1")
    shortcut = message_shortcut("link_incident", "ALERT checkout-api 5xx rate 12%\nrunbook: …", user=ALICE, channel="C0ALERTS",
                                ts="1700000500.000100")
    assert bot.interactive(shortcut).status_code == 200
    view = _view(bot, "p1700000500000100")  # prefilled with the message's permalink
    assert "ALERT checkout-api 5xx rate 12%" in json.dumps(view)
    assert bot.fake.called("chat.getPermalink", lambda p: p["message_ts"] == "1700000500.000100")
    response = bot.interactive(submission(view, _incident_values("INC-1", "3")))
    assert response.status_code == 200 and response.text == ""
    bot.fake.wait_for("chat.postEphemeral", lambda p: "INC-1" in json.dumps(p) and "Escaped defect" in json.dumps(p))
    ledger = bot.show("INC-1")
    assert ledger["lines"]["escaped_defects"]["count"] == 1
    assert Decimal(str(ledger["lines"]["escaped_defects"]["minutes"])) == 180
    assert ledger["metrics"]["defect_escape_rate"] == 1.0
    (incident,) = ledger["incidents"]
    assert incident["severity"] == "sev2" and incident["people"] == ["alice", "bob"] and incident["customer_impact"] == "high"


def test_incident_command_prefills_and_rejects_unknown_workflows(bot: Bot) -> None:
    bot.cli("workflow", "start", "INC-2")
    bot.command("incident INC-2 <https://pager.example.com/i/7|pager>")
    view = _view(bot, "https://pager.example.com/i/7")
    assert "INC-2" in json.dumps(view)
    rejected = bot.interactive(submission(view, _incident_values("INC-2 NOT-A-WF", "1")))
    assert rejected.json()["errors"]["workflows"] == "unknown workflow 'NOT-A-WF'"
    bad_region = bot.interactive(submission(view, _incident_values("INC-2", "1", regions="src/nowhere.py")))
    assert "regions" in bad_region.json()["errors"]
    assert bot.show("INC-2")["lines"]["escaped_defects"]["entries"] == 0


def test_app_home_shows_open_workflows_and_the_team_week(bot: Bot) -> None:
    bot.cli("workflow", "start", "HOME-1", "--owner", "alice", "--team", "core", "--title", "Home tab sample")
    bot.event({"type": "app_home_opened", "user": ALICE, "channel": "DHOME", "tab": "home", "event_ts": "1.2"})
    published = bot.fake.wait_for("views.publish", lambda p: p["user_id"] == ALICE)[-1]
    text = json.dumps(published["view"], ensure_ascii=False)
    assert published["view"]["type"] == "home" and "HOME-1" in text and "team core" in text


def test_mention_answers_in_the_thread_once_despite_retries(bot: Bot) -> None:
    bot.cli("workflow", "start", "MEN-1")
    event = {"type": "app_mention", "user": BOB, "text": "<@UBOT> show MEN-1", "ts": "1700000700.000100", "channel": "C0DEV"}
    for retry in (None, "1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        assert bot.event(event, event_id="EvMEN1", headers=headers).status_code == 200
    bot.fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == "1700000700.000100")
    bot.event(event | {"text": "<@UBOT> show NOPE-1", "ts": "1700000700.000200"})
    bot.fake.wait_for("chat.postEphemeral", lambda p: "NOPE-1" in json.dumps(p))
    assert len(bot.fake.called("chat.postMessage", lambda p: p.get("thread_ts") == "1700000700.000100")) == 1
