"""The bot's settings (``SLACK_*`` environment variables), read once at start and passed explicitly.

Tokens and the signing secret are ``SecretStr``: they print as ``**********`` in reprs and logs.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_TEAMS = "*"


class Schedule(NamedTuple):
    """When the bot sends the weekly digest, parsed from e.g. ``mon 09:00 Europe/Berlin``."""

    weekday: int  # 0 = Monday
    at: time
    zone: ZoneInfo


def parse_schedule(text: str) -> Schedule:
    match = re.fullmatch(r"\s*(\w{3})\w*\s+(\d{1,2}):(\d{2})(?:\s+(\S+))?\s*", text)
    if not match or match.group(1).lower() not in DAYS:
        raise ValueError(f"bad digest schedule {text!r}: use 'DAY HH:MM [Time/Zone]', e.g. 'mon 09:00 Europe/Berlin'")
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"bad time in digest schedule {text!r}")
    try:
        zone = ZoneInfo(match.group(4) or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {match.group(4)!r} in digest schedule") from exc
    return Schedule(DAYS.index(match.group(1).lower()), time(hour, minute), zone)


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class SlackSettings(BaseSettings):
    """Everything the bot needs besides the ledger's own settings."""

    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore", frozen=True)

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    # OAuth installs into several workspaces (HTTP mode): both set → bot tokens come from the installation store.
    client_id: str | None = None
    client_secret: SecretStr | None = None
    redirect_uri: str | None = None
    installation_dir: Path | None = None
    api_url: str = "https://slack.com/api/"
    # team → manager user ids; "*" applies to every team. Env: JSON object, or "U1,U2" for all teams.
    managers: Annotated[dict[str, list[str]], NoDecode] = Field(default_factory=dict)
    # Slack user id → ledger actor name (so rates by role and workflow owners line up).
    users: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    digest_schedule: str | None = None
    digest_channel: str | None = None
    digest_teams: Annotated[list[str], NoDecode] = Field(default_factory=list)
    prep_minutes_cap: int = Field(default=120, gt=0)
    workers: int = Field(default=32, gt=0)

    @field_validator("api_url")
    @classmethod
    def _slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("managers", mode="before")
    @classmethod
    def _managers(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("{"):
                import json

                return {team: _ids(ids) if isinstance(ids, str) else ids for team, ids in json.loads(value).items()}
            return {ALL_TEAMS: _ids(value)} if value else {}
        return value

    @field_validator("users", mode="before")
    @classmethod
    def _users(cls, value: Any) -> Any:
        if isinstance(value, str):
            # "U1=alice,U2=bob"
            pairs = [p.split("=", 1) for p in _ids(value)]
            if any(len(p) != 2 for p in pairs):
                raise ValueError("SLACK_USERS: use U123=alice,U456=bob")
            return {k.strip(): v.strip() for k, v in pairs}
        return value

    @field_validator("digest_teams", mode="before")
    @classmethod
    def _teams(cls, value: Any) -> Any:
        return _ids(value) if isinstance(value, str) else value

    @field_validator("digest_schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value:
            parse_schedule(value)
        return value or None

    @property
    def schedule(self) -> Schedule | None:
        return parse_schedule(self.digest_schedule) if self.digest_schedule else None

    def managers_of(self, team: str | None) -> list[str]:
        """Who receives the digest of ``team``: its managers, then the all-teams managers."""
        chosen = list(self.managers.get(team or ALL_TEAMS, [])) if team else []
        for user in self.managers.get(ALL_TEAMS, []):
            if user not in chosen:
                chosen.append(user)
        return chosen

    def is_manager(self, user: str) -> bool:
        return any(user in ids for ids in self.managers.values())

    def actor_of(self, user: str) -> str:
        return self.users.get(user, user)

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def secrets(self) -> list[str]:
        return [s.get_secret_value() for s in (self.bot_token, self.signing_secret, self.app_token, self.client_secret) if s is not None]
