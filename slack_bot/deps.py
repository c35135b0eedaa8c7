"""What every listener needs, put into bolt's ``context`` by one middleware (no globals)."""

from __future__ import annotations

from dataclasses import dataclass

from ledger_core.config import Settings
from ledger_core.store import Store

from .settings import SlackSettings

KEY = "opledger"


@dataclass(frozen=True)
class Deps:
    store: Store
    ledger: Settings
    slack: SlackSettings


def deps_of(context) -> Deps:
    return context[KEY]
