"""Sending the weekly digest: a DM to each configured manager, optionally a channel, with a chart.

Idempotent per (team, week, recipient): the first run claims the key (atomically, across
processes and bot replicas) and posts; every later run finds it claimed and posts nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ledger_core.digest import Digest, trend_report
from ledger_core.errors import InvalidInput, LedgerError
from ledger_core.models import utcnow
from ledger_core.report import TeamReport
from ledger_core.store import Store

from .blocks.digest import digest_blocks, digest_text
from .delivery import dm_channel, upload
from .settings import ALL_TEAMS, SlackSettings

SENT = "slack_digests"
log = logging.getLogger("opledger.slack.digest")


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    sent: tuple[str, ...] = ()
    already_sent: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    chart: bool = False


def chart_png(report: TeamReport) -> bytes | None:
    """The digest chart from the reports module, when it is installed (matplotlib)."""
    try:
        from ledger_core.charts import digest_chart_png
    except ImportError:
        return None
    return digest_chart_png(report)


def recipients(settings: SlackSettings, team: str | None, channel: str | None) -> list[str]:
    chosen = settings.managers_of(team)
    target = channel or settings.digest_channel
    if target and target not in chosen:
        chosen.append(target)
    if not chosen:
        raise InvalidInput("no digest recipients: configure SLACK_MANAGERS (team → manager user ids) or pass --channel")
    return chosen


def _destination(client: WebClient, recipient: str) -> str:
    # User ids (U…/W…) get a DM; anything else is a channel id.
    return dm_channel(client, recipient) if recipient[:1] in ("U", "W") else recipient


def split_recipient(recipient: str) -> tuple[str | None, str]:
    """``T0123:U0456`` → (workspace, id); a plain id has no workspace (SLACK_BOT_TOKEN's)."""
    workspace, colon, target = recipient.partition(":")
    return (workspace, target) if colon else (None, recipient)


def deliver(
    client_for: Callable[[str | None], WebClient], store: Store, settings: SlackSettings, digest: Digest, *, channel: str | None = None
) -> Delivery:
    """Send ``digest`` to every recipient, each through its workspace's client (``client_for``)."""
    week, team = digest.period.label, digest.team or ALL_TEAMS
    png = None
    sent, skipped, failed = [], [], []
    blocks, text = digest_blocks(digest), digest_text(digest)
    for recipient in recipients(settings, digest.team, channel):
        workspace, target = split_recipient(recipient)
        try:
            client = client_for(workspace)
        except LedgerError as exc:
            # Nothing claimed: once the workspace installs the app, the next run delivers.
            failed.append((recipient, str(exc)))
            log.error("digest %s for %s not delivered: %s", week, recipient, exc)
            continue
        if not store.kv_claim(SENT, f"{team}|{week}|{recipient}", {"at": utcnow().isoformat()}):
            skipped.append(recipient)
            continue
        try:
            destination = _destination(client, target)
            client.chat_postMessage(channel=destination, blocks=blocks, text=text[:3000])
            png = png if png is not None else chart_png(trend_report(store, digest.period, digest.team))
            if png:
                upload(client, channel=destination, content=png, filename=f"opledger-digest-{week}.png",
                       title=f"Cost per verified outcome, {week}")
            sent.append(recipient)
        except SlackApiError as exc:
            # The claim stays: a digest is sent at most once; the failure is reported, not retried blindly.
            failed.append((recipient, str(exc.response.get("error", "error"))))
            log.error("digest %s for %s not delivered: %s", week, recipient, exc.response.get("error"))
    return Delivery(sent=tuple(sent), already_sent=tuple(skipped), failed=tuple(failed), chart=bool(png))
