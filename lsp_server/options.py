"""The client's settings for the server: one typed object, read from ``initializationOptions`` or
``workspace/configuration`` (section ``opledger``); a bad value falls back to its default and
the user is told which one and why, rather than the server refusing to start."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel


class ClientOptions(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, extra="ignore")

    reviewer: str | None = Field(default=None, description="Who decides; defaults to the OS user.")
    role: str | None = Field(default=None, description="Seniority/role priced from the config's rates.")
    store: str | None = Field(default=None, description="Store directory or team service URL.")
    config: str | None = Field(default=None, description="Path of the opledger config file (TOML).")
    severity: Literal["information", "hint"] = "information"
    diagnostic_mode: Literal["push", "pull"] = "push"
    max_file_bytes: int = Field(default=2_000_000, gt=0)
    review_minutes_cap: Decimal | None = Field(default=None, gt=0)
    poll_interval: float = Field(default=0.25, gt=0, le=10)
    code_lens: bool = True


def parse_options(raw: Any) -> tuple[ClientOptions, list[str]]:
    """Options from a client payload, and a message per value that was ignored."""
    if raw is None:
        return ClientOptions(), []
    if hasattr(raw, "_asdict"):  # pygls hands untyped payloads over as namedtuples
        raw = _plain(raw)
    if isinstance(raw, dict) and isinstance(raw.get("opledger"), dict):
        raw = raw["opledger"]
    if not isinstance(raw, dict):
        return ClientOptions(), [f"opledger settings must be an object, got {type(raw).__name__}; using defaults"]
    problems: list[str] = []
    data = dict(raw)
    while True:
        try:
            return ClientOptions.model_validate(data), problems
        except ValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
            for err in exc.errors():
                name = ".".join(map(str, err["loc"])) or "settings"
                problems.append(f"opledger setting {name}={err.get('input')!r} ignored: {err['msg']}; using the default")
            if not bad & set(data):
                return ClientOptions(), problems
            data = {k: v for k, v in data.items() if k not in bad}


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
