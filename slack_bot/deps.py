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

    def __deepcopy__(self, memo: dict) -> Deps:
        # bolt deep-copies the context for lazy listeners; the store and settings are shared on
        # purpose (one store handle per process), and a copied file lock would not lock anything.
        return self


def deps_of(context) -> Deps:
    return context[KEY]
