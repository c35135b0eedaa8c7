"""Typed settings, read once at the boundary (CLI, server start) and passed explicitly.

Sources, later ones winning: defaults, the TOML config file (``OPLEDGER_CONFIG`` or the
platform config dir), ``OPLEDGER_*`` environment variables, command-line options.
"""

from __future__ import annotations

import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import platformdirs
import tomlkit
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

APP = "opledger"

DEFAULT_RATES = {
    "junior": Decimal(55),
    "mid": Decimal(85),
    "senior": Decimal(120),
    "staff": Decimal(150),
    "principal": Decimal(180),
    "manager": Decimal(130),
}

DEFAULT_SENSITIVE_PATHS = [
    "**/auth/**",
    "**/*auth*.*",
    "**/login/**",
    "**/payments/**",
    "**/billing/**",
    "**/*secret*",
    "**/.env*",
    "**/*credentials*",
    "**/pii/**",
    "**/migrations/**",
    "**/alembic/**",
    "**/terraform/**",
    "**/*.tf",
    "**/k8s/**",
    "**/helm/**",
    "**/.github/workflows/**",
    "**/Dockerfile",
]

DEFAULT_DOCS_PATHS = ["docs/**", "**/*.md", "**/*.rst", "**/*.adoc", "**/README*", "**/CHANGELOG*"]


def default_store_path() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "ledger"


def default_config_path() -> Path:
    return Path(os.environ.get("OPLEDGER_CONFIG") or Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.toml")


class Settings(BaseSettings):
    """Everything configurable. Unknown keys in the file are an error, so typos are caught."""

    model_config = SettingsConfigDict(env_prefix="OPLEDGER_", extra="forbid", frozen=True)

    store: str = Field(default_factory=lambda: str(default_store_path()))
    token: str | None = None
    team: str | None = None
    rates: dict[str, Decimal] = Field(default_factory=lambda: dict(DEFAULT_RATES))
    default_role: str = "mid"
    actors: dict[str, str] = Field(default_factory=dict, description="actor → role")
    review_focus_multiplier: Decimal = Field(default=Decimal("1.25"), ge=1)
    review_minutes_cap: Decimal = Field(default=Decimal(60), gt=0)
    store_text: bool = False
    redact_patterns: list[str] = Field(default_factory=list)
    retention: dict[str, dict[str, int]] = Field(default_factory=dict, description="line or 'default' → private field → days kept (ledger_core/retention.py)")
    sensitive_paths: list[str] = Field(default_factory=lambda: list(DEFAULT_SENSITIVE_PATHS))
    docs_paths: list[str] = Field(default_factory=lambda: list(DEFAULT_DOCS_PATHS))
    allowed_models: dict[str, list[str]] = Field(default_factory=dict, description="path glob → models")
    workflow_map: dict[str, str] = Field(default_factory=dict, description="cwd/branch glob → workflow")
    ci_usd_per_minute: Decimal = Field(default=Decimal("0.008"), ge=0)
    # delivery signals (issue 7): reviewer minutes per review depth, the verification gate, webhooks
    review_depth_minutes: dict[str, Decimal] = Field(default_factory=lambda: {"light": Decimal(10), "standard": Decimal(30), "deep": Decimal(60)})
    required_checks: list[str] = Field(default_factory=list, description="check names the gate needs green; empty = every reported check")
    github_webhook_secret: str | None = None
    incident_window_hours: Decimal = Field(default=Decimal(72), gt=0)
    lock_timeout: float = Field(default=30.0, gt=0)
    import_workers: int = Field(default=0, ge=0, description="processes that parse a large transcript import; 0 = one per CPU, up to 4")

    def rate_for(self, role: str | None = None, actor: str | None = None) -> tuple[str, Decimal]:
        """(role, hourly rate) for an actor or role; unknown roles fall back to the default role."""
        chosen = role or (self.actors.get(actor) if actor else None) or self.default_role
        if chosen in self.rates:
            return chosen, self.rates[chosen]
        return self.default_role, self.rates.get(self.default_role, Decimal(100))


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from exc


def load_settings(config_path: Path | None = None, **overrides: Any) -> Settings:
    path = config_path or default_config_path()
    data = _read_file(path)
    # Environment variables outrank the file (pydantic-settings ranks init arguments first).
    for name in list(data):
        if f"OPLEDGER_{name.upper()}" in os.environ:
            del data[name]
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"config {path}: {where}: {first['msg']}") from exc


def set_config_value(path: Path, key: str, value: str) -> Settings:
    """Set ``key`` (dotted for tables, e.g. ``rates.senior``) in the TOML file, keeping its comments.

    The new file is validated before it is written; an invalid value leaves the file as it was.
    """
    try:
        document = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
    except Exception as exc:  # tomlkit raises several parse error types
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from exc
    parsed: Any
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    parts = key.split(".")
    target: Any = document
    for part in parts[:-1]:
        if part not in target:
            target[part] = tomlkit.table()
        target = target[part]
    if isinstance(parsed, float):
        parsed = str(Decimal(value))
    target[parts[-1]] = parsed
    text = tomlkit.dumps(document)
    try:
        settings = Settings(**tomllib.loads(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{key} = {value!r} is not valid: {first['msg']}; config left unchanged") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return settings
