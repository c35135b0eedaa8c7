"""The app factory: one bolt ``App`` over a store, with every domain's listeners registered."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from ledger_core.config import Settings
from ledger_core.errors import ConfigError
from ledger_core.store import Store

from .deps import KEY, Deps
from .listeners import register_all
from .oauth import oauth_settings
from .redact import install_redaction
from .settings import SlackSettings

EVENTS_SEEN = "slack_events"
log = logging.getLogger("opledger.slack")


def create_app(settings: SlackSettings, store: Store, ledger: Settings | None = None, *, socket_mode: bool = False) -> App:
    """``settings`` and ``store`` are passed in, never read from globals; ``ledger`` defaults to built-in rates."""
    oauth = settings.oauth and not socket_mode
    if socket_mode and settings.oauth:
        # bolt would switch to OAuth on its own when these are in the environment and drop the bot token.
        raise ConfigError("Socket Mode runs with SLACK_BOT_TOKEN: unset SLACK_CLIENT_ID/SLACK_CLIENT_SECRET "
                          "(multi-workspace installs need `opledger slack serve`)")
    if settings.bot_token is None and not oauth:
        raise ConfigError("SLACK_BOT_TOKEN is not set (or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth installs)")
    if settings.signing_secret is None and not socket_mode:
        raise ConfigError("SLACK_SIGNING_SECRET is not set (every HTTP request's signature is checked with it)")
    install_redaction(settings.secrets())
    # Bolt uses the client's token and base URL when a client is given, so both live here. With
    # OAuth the token is looked up per request from the installation store, on a copy of this client.
    token = None if oauth or settings.bot_token is None else settings.bot_token.get_secret_value()
    client = WebClient(token=token, base_url=settings.api_url)
    app = App(
        name="opledger",
        client=client,
        signing_secret=settings.signing_secret.get_secret_value() if settings.signing_secret else "",
        request_verification_enabled=not socket_mode,
        oauth_settings=oauth_settings(settings, store) if oauth else None,
        # bolt's default pool has 5 workers: 50 simultaneous commands would wait for their ack.
        listener_executor=ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="bolt"),
    )
    if oauth:
        # app_uninstalled / tokens_revoked delete the workspace's stored tokens.
        app.enable_token_revocation_listeners()
    deps = Deps(store=store, ledger=ledger or Settings(store=store.location), slack=settings)

    @app.middleware
    def _inject(context: dict, next: Any) -> Any:
        context[KEY] = deps
        return next()

    @app.middleware
    def _once_per_event(body: dict, next: Any) -> Any:
        # Slack retries an event (X-Slack-Retry-Num, same event_id) when the ack was slow or lost.
        # kv_claim is atomic across processes, so back-to-back retries cannot both pass.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not store.kv_claim(EVENTS_SEEN, event_id, {"team": body.get("team_id")}):
            return BoltResponse(status=200, body="")
        return next()

    @app.error
    def _errors(error: Exception, body: dict) -> None:
        log.error("listener failed on a %s request: %s", body.get("type") or body.get("command"), type(error).__name__, exc_info=error)

    register_all(app)
    return app
