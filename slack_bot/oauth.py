"""Multi-workspace installs: bolt's OAuth flow with a persistent installation store.

Where things live, and why:

* **Installations (bot tokens) → files under the user data dir** (bolt's ``FileInstallationStore``
  in a directory only the bot's user can enter). A bot token is a workspace-wide credential;
  the ledger's key-value space is readable by every team member through the team service's
  ``/kv`` route and travels with backups, so tokens stay with the bot process instead. Several
  replicas share installations by pointing ``SLACK_INSTALLATION_DIR`` at one volume.
* **OAuth ``state`` → the ledger's key-value space.** A state is no secret (it rides in the
  URL), but it must be usable once, even when the redirect reaches another replica than the
  install page did; ``kv_claim`` is atomic across processes, so a replayed redirect fails.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

import platformdirs
from slack_sdk import WebClient
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from ledger_core.errors import ConfigError
from ledger_core.store import Store

from .settings import SlackSettings

# Keep in step with oauth_config.scopes.bot in manifest.yml (a test compares them).
BOT_SCOPES = (
    "app_mentions:read",
    "chat:write",
    "commands",
    "files:write",
    "im:write",
    "reactions:read",
    "channels:history",
    "groups:history",
)
STATES = "slack_oauth_states"
STATES_USED = "slack_oauth_states_used"
STATE_SECONDS = 600

log = logging.getLogger("opledger.slack.oauth")


def installation_dir(settings: SlackSettings) -> Path:
    return settings.installation_dir or Path(platformdirs.user_data_dir("opledger", appauthor=False)) / "slack-installations"


def authorization_url(api_url: str) -> str:
    """Slack's consent page on the same host as the Web API (slack.com, slack-gov.com, a test fake)."""
    base = api_url.rstrip("/")
    return base.removesuffix("/api") + "/oauth/v2/authorize"


class LedgerStateStore(OAuthStateStore):
    """OAuth states issued into the ledger's key-value space and consumed at most once."""

    def __init__(self, store: Store, expiration_seconds: int = STATE_SECONDS) -> None:
        self.store = store
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self, *args: object, **kwargs: object) -> str:
        state = secrets.token_urlsafe(24)
        self.store.kv_set(STATES, state, {"expires": time.time() + self.expiration_seconds})
        return state

    def consume(self, state: str) -> bool:
        issued = self.store.kv_get(STATES, state) if state else None
        if not isinstance(issued, dict) or issued.get("expires", 0) < time.time():
            return False
        return self.store.kv_claim(STATES_USED, state, {"at": time.time()})


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)  # the token files inside are written with the default umask
    return path


def installation_store(settings: SlackSettings) -> FileInstallationStore:
    return FileInstallationStore(base_dir=str(private_dir(installation_dir(settings))), client_id=settings.client_id)


def oauth_settings(settings: SlackSettings, store: Store) -> OAuthSettings:
    assert settings.client_id and settings.client_secret
    return OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.redirect_uri,
        # /slack/install sends the browser straight to Slack's consent page (an "Add to Slack" link).
        install_page_rendering_enabled=False,
        authorization_url=authorization_url(settings.api_url),
        installation_store=installation_store(settings),
        state_store=LedgerStateStore(store),
        state_expiration_seconds=STATE_SECONDS,
    )


def workspace_clients(settings: SlackSettings):
    """A Web API client for each digest recipient's workspace. A plain id (``U123``, ``C456``)
    is reached with SLACK_BOT_TOKEN; ``T789:U123`` (workspace, then id) with the bot token that
    workspace's OAuth install stored, so one bot serves managers in several workspaces."""
    installs = installation_store(settings) if settings.oauth else None
    clients: dict[str | None, WebClient] = {}

    def client_for(workspace: str | None) -> WebClient:
        if workspace in clients:
            return clients[workspace]
        if workspace is None:
            if settings.bot_token is None:
                raise ConfigError("SLACK_BOT_TOKEN is not set: write recipients as WORKSPACE:ID (e.g. T0123:U0456) to reach them"
                                  " through their workspace's install")
            token = settings.bot_token.get_secret_value()
        else:
            bot = installs.find_bot(enterprise_id=None, team_id=workspace) if installs is not None else None
            if bot is None or not bot.bot_token:
                raise ConfigError(f"workspace {workspace} has not installed the app"
                                  + ("" if installs is not None else " (installs need SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)"))
            token = bot.bot_token
        clients[workspace] = WebClient(token=token, base_url=settings.api_url)
        return clients[workspace]

    return client_for

