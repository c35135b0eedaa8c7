"""Multi-workspace installs end to end: with SLACK_CLIENT_ID/SLACK_CLIENT_SECRET the HTTP bot
serves ``/slack/install`` and ``/slack/oauth_redirect``; two workspaces install through the
fake's consent page and ``oauth.v2.access``, and each workspace's requests are then served with
that workspace's own bot token (the fake records which token every call came with)."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from slack_fake_api import FakeSlack
from slack_harness import ALICE, BOT_TOKEN, Bot, bot_env, free_port, serving

from slack_bot.oauth import BOT_SCOPES

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret-TEST-0f9e8d"
WORKSPACES = ("T0ALPHA", "T0BRAVO")


@pytest.fixture(scope="module")
def oauth_env(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("oauth")
    port = free_port()
    redirect = f"http://127.0.0.1:{port}/slack/oauth_redirect"
    fake.oauth_app(CLIENT_ID, CLIENT_SECRET, redirect)
    env = bot_env(tmp, fake)
    del env["SLACK_BOT_TOKEN"]  # tokens come from the installs
    env |= {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_REDIRECT_URI": redirect,
            "SLACK_INSTALLATION_DIR": str(tmp / "installations"), "OPLEDGER_TEST_PORT": str(port)}
    return env


@pytest.fixture(scope="module")
def bot(fake: FakeSlack, oauth_env: dict[str, str]) -> Iterator[Bot]:
    log = Path(oauth_env["OPLEDGER_STORE"]).parent / "bot.log"
    with serving(oauth_env, log, port=int(oauth_env["OPLEDGER_TEST_PORT"])) as url:
        yield Bot(url=url, fake=fake, env=oauth_env, log=log)
    assert not fake.violations, f"Block Kit limits broken: {fake.violations}"


def install(bot: Bot, team: str) -> httpx.Response:
    """What a browser does: Add to Slack → consent (the user picks ``team``) → back to the redirect URL."""
    with httpx.Client(timeout=10) as browser:
        start = browser.get(bot.url + "/slack/install")
        assert start.status_code == 302, start.text
        consent_url = start.headers["location"]
        assert consent_url.startswith(bot.fake.url + "/oauth/v2/authorize?")
        query = parse_qs(urlsplit(consent_url).query)
        assert query["client_id"] == [CLIENT_ID] and set(query["scope"][0].split(",")) == set(BOT_SCOPES)
        # The state cookie is Secure (Slack apps are served over https): sent here as a browser would there.
        cookie = re.match(r"slack-app-oauth-state=([^;]+)", start.headers["set-cookie"])
        assert cookie and cookie.group(1) == query["state"][0]
        approved = browser.get(consent_url + f"&team={team}")
        assert approved.status_code == 302
        back = approved.headers["location"]
        assert back.startswith(bot.url + "/slack/oauth_redirect?")
        return browser.get(back, headers={"Cookie": f"slack-app-oauth-state={cookie.group(1)}"})


@pytest.fixture(scope="module")
def installed(bot: Bot) -> dict[str, str]:
    bot.cli("workflow", "start", "MULTI-1", "--team", "core", "--title", "Shared across workspaces")
    bot.cli("record", "review", "MULTI-1", "--minutes", "20", "--actor", "alice")
    for team in WORKSPACES:
        done = install(bot, team)
        assert done.status_code == 200, done.text
    return {team: bot.fake.token_of(team) for team in WORKSPACES}


def test_two_workspaces_install_and_each_is_served_with_its_own_token(bot: Bot, installed: dict[str, str]) -> None:
    assert len(set(installed.values())) == 2 and BOT_TOKEN not in installed.values()
    exchanges = bot.fake.called("oauth.v2.access")
    assert len(exchanges) == 2 and all(e["redirect_uri"].endswith("/slack/oauth_redirect") for e in exchanges)
    ledger = bot.show("MULTI-1")
    for team, token in installed.items():
        seen = len(bot.fake.calls)
        response, path = bot.command("show MULTI-1", team=team)
        assert response.status_code == 200
        (answer,) = bot.responses(path)
        assert f"${ledger['total_cost_usd']:,.2f}" in json.dumps(answer["blocks"], ensure_ascii=False)
        # bolt authorized this request with this workspace's installation, and with nothing else.
        used = {c["token"] for c in bot.fake.calls[seen:] if c["method"] == "auth.test"}
        assert used == {token}
    # A mention is answered in the thread through the Web API, again with the workspace's own token.
    for n, (team, token) in enumerate(installed.items()):
        ts = f"1700001000.00000{n}"
        bot.event({"type": "app_mention", "user": ALICE, "text": "<@UBOT> show MULTI-1", "ts": ts, "channel": "C0TEAM"}, team=team)
        (posted,) = bot.fake.wait_for("chat.postMessage", lambda p, ts=ts: p.get("thread_ts") == ts)
        assert [c["token"] for c in bot.fake.calls if c["method"] == "chat.postMessage" and c["params"] is posted] == [token]


def test_the_digest_reaches_managers_in_each_workspace_with_that_workspaces_token(bot: Bot, installed: dict[str, str]) -> None:
    managers = "T0ALPHA:U0AMGR,T0BRAVO:U0BMGR,T0NEVER:U0NMGR,U0PLAIN"
    seen = len(bot.fake.calls)
    result = bot.cli("digest", "--week", "2026-W10", "--post", "--json", check=False, env={"SLACK_MANAGERS": managers})
    assert result.returncode == 1, result.stderr  # two recipients could not be reached, and it says so
    delivery = json.loads(result.stdout)["delivery"]
    assert delivery["sent"] == ["T0ALPHA:U0AMGR", "T0BRAVO:U0BMGR"]
    failed = dict(delivery["failed"])
    assert "T0NEVER has not installed the app" in failed["T0NEVER:U0NMGR"] and "SLACK_BOT_TOKEN is not set" in failed["U0PLAIN"]
    posts = [c for c in bot.fake.calls[seen:] if c["method"] == "chat.postMessage"]
    assert {(c["params"]["channel"], c["token"]) for c in posts} == {("DU0AMGR", installed["T0ALPHA"]), ("DU0BMGR", installed["T0BRAVO"])}
    # Nothing was claimed for the unreachable ones: once T0NEVER installs, the next run delivers there.
    again = json.loads(bot.cli("digest", "--week", "2026-W10", "--post", "--json", check=False, env={"SLACK_MANAGERS": managers}).stdout)
    assert again["delivery"]["already_sent"] == ["T0ALPHA:U0AMGR", "T0BRAVO:U0BMGR"] and len(again["delivery"]["failed"]) == 2


def test_a_workspace_that_never_installed_is_refused_and_nothing_runs(bot: Bot, installed: dict[str, str]) -> None:
    before = bot.cli("verify", "--json").stdout
    response, path = bot.command("prep MULTI-1", team="T0STRANGER")
    assert response.status_code == 200  # bolt answers through response_url instead
    (answer,) = bot.responses(path)
    assert "reinstall this app" in answer["text"]
    assert not bot.fake.called("views.open", lambda p: "MULTI-1" in json.dumps(p))
    forged, _ = bot.command("show MULTI-1", team=WORKSPACES[0], secret="not-the-signing-secret")
    assert forged.status_code == 401  # installed or not, the signature is checked first
    assert bot.cli("verify", "--json").stdout == before


def test_state_is_checked_and_used_once(bot: Bot, installed: dict[str, str]) -> None:
    exchanges = len(bot.fake.called("oauth.v2.access"))
    with httpx.Client(timeout=10) as browser:
        start = browser.get(bot.url + "/slack/install")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        back = browser.get(start.headers["location"] + "&team=T0CHARLIE").headers["location"]
        forged = browser.get(back.replace(state, "forged-state"), headers={"Cookie": "slack-app-oauth-state=forged-state"})
        no_cookie = browser.get(back)
        # bolt: 400 when the cookie is missing or differs, 401 when the store does not vouch for the state.
        assert (forged.status_code, no_cookie.status_code) == (401, 400)
        ok = browser.get(back, headers={"Cookie": f"slack-app-oauth-state={state}"})
        assert ok.status_code == 200
        replay = browser.get(back, headers={"Cookie": f"slack-app-oauth-state={state}"})
        assert replay.status_code == 401
    # Only the one good redirect reached Slack's token exchange.
    assert len(bot.fake.called("oauth.v2.access")) == exchanges + 1


def test_installations_persist_privately_and_tokens_stay_out_of_logs_and_ledger(bot: Bot, installed: dict[str, str],
                                                                               oauth_env: dict[str, str]) -> None:
    base = Path(oauth_env["SLACK_INSTALLATION_DIR"])
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    stored = "".join(p.read_text() for p in base.rglob("*") if p.is_file())
    assert all(token in stored for token in installed.values())
    log = bot.log.read_text()
    assert CLIENT_SECRET not in log and not any(token in log for token in installed.values())
    ledger_bytes = b"".join(p.read_bytes() for p in Path(oauth_env["OPLEDGER_STORE"]).rglob("*") if p.is_file())
    assert not any(token.encode() in ledger_bytes for token in installed.values())
    # A restarted bot (a new process, another port) still serves both workspaces from the stored installs.
    restarted_log = base.parent / "restarted.log"
    with serving(oauth_env, restarted_log) as url:
        again = Bot(url=url, fake=bot.fake, env=oauth_env, log=restarted_log)
        for team, token in installed.items():
            seen = len(bot.fake.calls)
            response, path = again.command("show MULTI-1", team=team)
            assert response.status_code == 200
            again.responses(path)
            assert {c["token"] for c in bot.fake.calls[seen:] if c["method"] == "auth.test"} == {token}


def test_requested_scopes_are_the_manifests_and_consent_is_on_the_api_host() -> None:
    from slack_bot.oauth import authorization_url

    manifest = (Path(__file__).parents[2] / "slack_bot" / "manifest.yml").read_text()
    block = manifest.split("    bot:\n", 1)[1]
    listed = re.findall(r"^      - (\S+)$", block.split("\nsettings:", 1)[0], flags=re.MULTILINE)
    assert tuple(listed) == BOT_SCOPES
    assert authorization_url("https://slack-gov.com/api/") == "https://slack-gov.com/oauth/v2/authorize"
    assert authorization_url("https://slack.com/api") == "https://slack.com/oauth/v2/authorize"


def test_socket_mode_refuses_oauth_settings_with_a_clear_message(oauth_env: dict[str, str]) -> None:
    env = oauth_env | {"SLACK_APP_TOKEN": "xapp-1-A-1-x", "SLACK_BOT_TOKEN": BOT_TOKEN}
    result = Bot(url="", fake=None, env=env, log=Path()).cli("slack", "socket", check=False)  # type: ignore[arg-type]
    assert result.returncode == 2 and "SLACK_CLIENT_ID" in result.stderr and "opledger slack serve" in result.stderr
