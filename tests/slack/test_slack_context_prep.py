"""Context-prep requests end to end: the ``/ledger prep`` modal, the message shortcut that opens a
request, and closing it with the button or a ✅ reaction (retried events recorded once)."""

from __future__ import annotations

import json
from decimal import Decimal

from slack_harness import ALICE, BOB, Bot, message_shortcut, submission


def _opened_view(bot: Bot, marker: str) -> dict:
    return bot.fake.wait_for("views.open", lambda p: marker in p["view"]["private_metadata"])[-1]["view"]


def _prep_entries(bot: Bot, key: str) -> dict:
    return bot.show(key)["lines"]["context_prep"]


def test_prep_modal_records_minutes_priced_by_responder_roles_and_spec_signals(bot: Bot) -> None:
    bot.cli("workflow", "start", "PREP-1", "--team", "core")
    ack, _ = bot.command("prep PREP-1")
    assert ack.status_code == 200
    view = _opened_view(bot, "PREP-1")
    assert view["callback_id"] == "prep_modal"
    values = {
        "needed": {"type": "checkboxes", "selected_options": [{"value": "logs"}, {"value": "acceptance_criteria"}]},
        "asked": {"type": "multi_users_select", "selected_users": [ALICE, BOB]},
        "minutes": {"type": "number_input", "value": "30"},
        "role": {"type": "static_select", "selected_option": None},
        "signals": {"type": "checkboxes", "selected_options": [{"value": "spec"}, {"value": "criteria"}]},
    }
    response = bot.interactive(submission(view, values, user=ALICE, view_id="VPREP1"))
    assert response.status_code == 200 and response.text == ""
    bot.fake.wait_for("chat.postEphemeral", lambda p: "PREP-1" in json.dumps(p))
    ledger = bot.show("PREP-1")
    line = ledger["lines"]["context_prep"]
    assert Decimal(str(line["minutes"])) == 30 and line["entries"] == 2
    # alice is senior ($120/h), bob staff ($150/h): 15 min each.
    assert Decimal(str(line["cost_usd"])) == Decimal("30.00") + Decimal("37.50")
    assert ledger["workflow"]["clarity"] == 2
    # The same submission delivered twice is recorded once (idempotency key = view id + person).
    bot.interactive(submission(view, values, user=ALICE, view_id="VPREP1"))
    bot.fake.wait_for("chat.postEphemeral", lambda p: "PREP-1" in json.dumps(p), count=2)
    assert _prep_entries(bot, "PREP-1")["entries"] == 2


def test_bad_minutes_are_shown_in_the_modal_and_nothing_is_recorded(bot: Bot) -> None:
    bot.cli("workflow", "start", "PREP-2")
    bot.command("prep PREP-2")
    view = _opened_view(bot, "PREP-2")
    for bad in ("-5", "0", "lots", "999999"):
        values = {"asked": {"selected_users": [ALICE]}, "minutes": {"value": bad}, "needed": {"selected_options": []},
                  "signals": {"selected_options": []}}
        response = bot.interactive(submission(view, values))
        assert response.status_code == 200
        body = response.json()
        assert body["response_action"] == "errors" and "minutes" in body["errors"]
    assert _prep_entries(bot, "PREP-2")["entries"] == 0


def test_shortcut_opens_a_request_closed_once_by_reaction_despite_retries(bot: Bot) -> None:
    bot.cli("workflow", "start", "PREP-3", "--team", "core")
    shortcut = message_shortcut("record_prep_request", "Where are the logs from last night's failed deploy?", user=ALICE, author=ALICE,
                                channel="C0DEV", ts="1700000100.000200")
    assert bot.interactive(shortcut).status_code == 200
    view = _opened_view(bot, "1700000100.000200")
    values = {"workflow": {"type": "plain_text_input", "value": "PREP-3"}, "needed": {"selected_options": [{"value": "logs"}]}}
    bot.interactive(submission(view, values, user=ALICE))
    (posted,) = bot.fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == "1700000100.000200")
    assert "Close with minutes" in json.dumps(posted["blocks"])
    assert _prep_entries(bot, "PREP-3")["entries"] == 0  # an open request costs nothing yet
    event = {"type": "reaction_added", "user": BOB, "reaction": "white_check_mark", "event_ts": "1700000200.000100",
             "item": {"type": "message", "channel": "C0DEV", "ts": "1700000100.000200"}}
    first = bot.event(event, event_id="EvPREP3")
    retry = bot.event(event, event_id="EvPREP3", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert first.status_code == retry.status_code == 200
    bot.fake.wait_for("chat.update", lambda p: "PREP-3" in json.dumps(p))
    # A later ✅ from someone else (a new event, not a retry) finds the request closed.
    bot.event(event | {"user": ALICE, "event_ts": "1700000300.000100"})
    line = _prep_entries(bot, "PREP-3")
    assert line["entries"] == 1 and Decimal(str(line["minutes"])) >= 1
    entry = [e for e in json.loads(bot.cli("audit", "PREP-3", "--format", "json").stdout)["sections"] if e["name"] == "context_prep"][0]
    assert entry["items"][0]["actor"] == "bob"


def test_close_button_records_the_minutes_given(bot: Bot) -> None:
    bot.cli("workflow", "start", "PREP-4")
    bot.interactive(message_shortcut("record_prep_request", "Which interface does billing expect?", channel="C0DEV", ts="1700000300.000100"))
    view = _opened_view(bot, "1700000300.000100")
    bot.interactive(submission(view, {"workflow": {"value": "PREP-4"}, "needed": {"selected_options": []}}))
    (posted,) = bot.fake.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == "1700000300.000100")
    button = posted["blocks"][0]["accessory"]
    click = {"type": "block_actions", "user": {"id": BOB}, "team": {"id": "T0FAKE"}, "api_app_id": "A0OPLEDGER",
             "trigger_id": "trigger.close", "channel": {"id": "C0DEV"}, "container": {"type": "message"},
             "message": {"ts": "1700000300.000999", "text": ""},
             "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"], "block_id": "b"}]}
    assert bot.interactive(click).status_code == 200
    close = _opened_view(bot, button["value"])
    values = {"responder": {"selected_user": BOB}, "minutes": {"value": "45"}, "role": {"selected_option": {"value": "junior"}}}
    bot.interactive(submission(close, values, user=BOB))
    bot.fake.wait_for("chat.update", lambda p: "PREP-4" in json.dumps(p))
    line = _prep_entries(bot, "PREP-4")
    assert Decimal(str(line["minutes"])) == 45 and Decimal(str(line["cost_usd"])) == Decimal("41.25")  # junior $55/h
    # Closing again (double click) records nothing more and tells the person.
    bot.interactive(submission(close, values, user=BOB))
    bot.fake.wait_for("chat.postEphemeral", lambda p: "already closed" in json.dumps(p))
    assert _prep_entries(bot, "PREP-4")["entries"] == 1
