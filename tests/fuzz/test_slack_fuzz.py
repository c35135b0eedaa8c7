"""Fuzz campaign: Slack requests against the real bot (``opledger slack serve`` + the fake Slack API).

Random bodies, content types, timestamps and signatures, sent over HTTP to ``/slack/events``.
Whatever arrives: the answer is 401 (signature or timestamp not acceptable), 400 (signed but
malformed), 404 ``{"error": "unhandled request"}`` (signed and well formed, but nothing the bot
listens to: bolt's own answer) or 200, never a 5xx; the bot's log never holds a traceback;
and a rejected request records nothing and calls nothing on Slack. Seeds are fixed
(``derandomize``), the example counts bounded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS / "slack") not in sys.path:
    sys.path.insert(0, str(TESTS / "slack"))

from slack_fake_api import FakeSlack  # noqa: E402
from slack_harness import ALICE, BOT_TOKEN, SIGNING_SECRET, Bot, bot_env, serving  # noqa: E402

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
ACCEPTED = {200, 400, 401, 404}
EXAMPLES = {"tried": 0}


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    fake = FakeSlack(BOT_TOKEN).start()
    tmp = tmp_path_factory.mktemp("slack-fuzz")
    env = bot_env(tmp, fake)
    log = tmp / "bot.log"
    try:
        with serving(env, log) as url:
            bot = Bot(url=url, fake=fake, env=env, log=log)
            bot.cli("workflow", "start", "FUZZ-1", "--team", "core")
            bot.cli("record", "review", "FUZZ-1", "--minutes", "5", "--actor", "alice")
            yield bot
    finally:
        fake.stop()


def _store_files(bot: Bot) -> dict[str, bytes]:
    root = Path(bot.env["OPLEDGER_STORE"])
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != ".lock"}


def _ledger_only(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if not k.endswith("kv.json")}


def _slack_calls(bot: Bot) -> int:
    return sum(1 for c in bot.fake.calls if c["method"] != "auth.test")


def _send(bot: Bot, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return bot.http.post(bot.url + "/slack/events", content=body, headers=headers)


def _check_log(bot: Bot, seen: int) -> int:
    log = bot.log.read_bytes()
    fresh = log[seen:].decode("utf-8", "replace")
    assert "Traceback" not in fresh and "Internal Server Error" not in fresh, fresh[-3000:]
    return len(log)


# ------------------------------------------------------------------ strategies
WORDS = st.sampled_from(["show", "prep", "incident", "audit", "report", "help", "FUZZ-1", "NOPE", "share", "2026-W99", "2026-W01",
                         "<@U1|x>", "<https://x.test|y>", "https://example.test/i/1", "é", "\x00", "'", "%", "&", "=", "+"])
COMMAND_TEXT = st.one_of(st.lists(st.one_of(WORDS, st.text(max_size=8)), max_size=5).map(" ".join), st.text(max_size=60))
JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
                       lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                       max_leaves=12)
TYPES = st.sampled_from(["event_callback", "url_verification", "block_actions", "view_submission", "view_closed", "shortcut",
                         "message_action", "block_suggestion", "app_rate_limited", "", "nonsense"])


def _command_form(text: str, extra: dict) -> bytes:
    form = {"team_id": "T0FAKE", "channel_id": "C0FUZZ", "user_id": ALICE, "command": "/ledger", "text": text,
            "api_app_id": "A0OPLEDGER", "response_url": "", "trigger_id": "trigger.fuzz"} | extra
    return urlencode(form).encode()


BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.builds(_command_form, COMMAND_TEXT, st.dictionaries(st.sampled_from(["command", "user_id", "text", "team_id"]),
                                                            st.text(max_size=10), max_size=2)),
    st.builds(lambda t, rest: urlencode({"payload": json.dumps({"type": t} | rest)}).encode(), TYPES,
              st.dictionaries(st.sampled_from(["user", "view", "actions", "callback_id", "team", "trigger_id"]), JSONISH, max_size=3)),
    st.builds(lambda t, event: json.dumps({"type": t, "event_id": "EvFUZZ", "team_id": "T0FAKE", "event": event}).encode(),
              TYPES, JSONISH),
    JSONISH.map(lambda v: json.dumps(v).encode()),
)
CONTENT_TYPES = st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", "", "multipart/form-data",
                                 "application/x-www-form-urlencoded; charset=utf-8"])
STAMP = st.one_of(st.just("now"), st.just("stale"), st.just("future"), st.just("missing"),
                  st.text(max_size=12).filter(lambda s: s.isascii() and s.isprintable()),
                  st.integers(min_value=-(10**12), max_value=10**12).map(str))
SIGNED = st.sampled_from(["valid", "wrong-secret", "missing", "random-hex", "garbage", "v1"])


def _sign(body: bytes, ts: str, secret: str) -> str:
    # Slack signs the exact bytes, so a body that is not UTF-8 is signed as bytes too.
    return "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()


def _headers(body: bytes, content_type: str, stamp: str, signed: str, garbage: str) -> dict[str, str]:
    now = int(time.time())
    ts = {"now": str(now), "stale": str(now - 6 * 60), "future": str(now + 6 * 60)}.get(stamp, stamp)
    headers = {"Content-Type": content_type} if content_type else {}
    if stamp != "missing":
        headers["X-Slack-Request-Timestamp"] = ts
    if signed == "valid":
        headers["X-Slack-Signature"] = _sign(body, ts, SIGNING_SECRET)
    elif signed == "wrong-secret":
        headers["X-Slack-Signature"] = _sign(body, ts, "not-the-secret")
    elif signed == "random-hex":
        headers["X-Slack-Signature"] = "v0=" + (garbage.encode().hex() + "0" * 64)[:64]
    elif signed == "garbage":
        headers["X-Slack-Signature"] = garbage
    elif signed == "v1":
        headers["X-Slack-Signature"] = _sign(body, ts, SIGNING_SECRET).replace("v0=", "v1=")
    return headers


@FUZZ
@given(body=BODIES, content_type=CONTENT_TYPES, stamp=STAMP, signed=SIGNED,
       garbage=st.text(max_size=20).filter(lambda s: s.isascii() and s.isprintable()))
def test_random_requests_get_401_400_or_200_and_rejections_change_nothing(bot: Bot, body, content_type, stamp, signed, garbage):
    EXAMPLES["tried"] += 1
    seen = len(bot.log.read_bytes())
    before, calls = _store_files(bot), _slack_calls(bot)
    response = _send(bot, body, _headers(body, content_type, stamp, signed, garbage))
    assert response.status_code in ACCEPTED, (response.status_code, response.text, body)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # cannot be from Slack: refused before anything looks at it
        assert response.status_code == 400 and response.text == "request body is not UTF-8"
    else:
        if signed != "valid" or stamp != "now":
            # Bodies that are no Slack payload at all are refused (400) before bolt checks the signature.
            assert response.status_code == 401 or response.text == "request body is not a Slack payload", response.text
    if response.status_code == 404:
        assert response.json() == {"error": "unhandled request"}
    if response.status_code in (400, 401, 404):
        time.sleep(0.02)  # a wrongly accepted request would be working on it now
        after = _store_files(bot)
        if response.status_code == 404:  # authentic but unhandled: only its event id is remembered (retries)
            after, before = _ledger_only(after), _ledger_only(before)
        assert after == before and _slack_calls(bot) == calls
    _check_log(bot, seen)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(text=COMMAND_TEXT)
def test_signed_slash_commands_are_answered_clearly(bot: Bot, text):
    """Correctly signed ``/ledger`` commands with random words: acked, then help, an answer or a
    clear error — never silence, a 5xx or a traceback."""
    EXAMPLES["tried"] += 1
    seen = len(bot.log.read_bytes())
    response, path = bot.command(text)
    assert response.status_code == 200, response.text
    if response.content:  # help or a syntax error, in the ack itself
        assert response.json()["text"]
    else:
        verb = text.split()[0].lower() if text.split() else ""
        if verb not in ("prep", "incident"):  # those open a modal (or say why not) instead
            (answer,) = bot.responses(path, timeout=10)
            assert answer["text"]
    _check_log(bot, seen)


def test_after_the_campaign_the_ledger_is_unchanged_and_intact(bot: Bot):
    ledger = bot.show("FUZZ-1")
    assert ledger["lines"]["review"]["entries"] == 1 and float(ledger["lines"]["review"]["minutes"]) == 5
    assert json.loads(bot.cli("verify", "--json").stdout)["ok"] is True
    print(f"slack fuzz: {EXAMPLES['tried']} inputs tried")
