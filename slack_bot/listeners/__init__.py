"""Listeners, one package per domain, each with ``register(app)``; handlers stay thin."""

from __future__ import annotations

from slack_bolt import App

from . import context_prep, home, incidents, ledger_command, mentions

DOMAINS = (ledger_command, mentions, context_prep, incidents, home)


def register_all(app: App) -> None:
    for domain in DOMAINS:
        domain.register(app)
