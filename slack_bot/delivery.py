"""Getting things to people: ephemeral notes, DMs and files (files upload v2)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from .blocks.common import MAX_FALLBACK_TEXT, clip


def dm_channel(client: WebClient, user: str) -> str:
    """The id of the bot's DM with ``user`` (uploads and posts need a channel id, not a user id)."""
    return client.conversations_open(users=user)["channel"]["id"]


def notify(client: WebClient, *, user: str, channel: str | None, blocks: list[dict[str, Any]], text: str, thread_ts: str | None = None) -> None:
    """Tell one person: ephemeral in the channel they acted in, else a DM."""
    text = clip(text, MAX_FALLBACK_TEXT)
    if channel:
        client.chat_postEphemeral(channel=channel, user=user, blocks=blocks, text=text, thread_ts=thread_ts)
    else:
        client.chat_postMessage(channel=dm_channel(client, user), blocks=blocks, text=text)


def upload(client: WebClient, *, channel: str, content: bytes | str, filename: str, title: str, comment: str | None = None) -> None:
    client.files_upload_v2(channel=channel, content=content, filename=filename, title=title, initial_comment=comment)
