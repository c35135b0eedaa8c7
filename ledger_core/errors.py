"""Typed errors of the ledger core. Adapters (CLI, language server, bot) turn them into one
clear message for their user; none of them is raised for a condition that is not the
caller's or the environment's fault."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the core raises on purpose. ``str(err)`` is the user-facing message."""

    exit_code = 2


class InvalidInput(LedgerError):
    """Input that fails validation: says what was wrong and where."""


class UnknownWorkflow(LedgerError):
    def __init__(self, key: str) -> None:
        super().__init__(f"unknown workflow {key!r} (see `opledger workflow list`)")
        self.key = key


class NotFound(LedgerError):
    pass


class InvalidTransition(LedgerError):
    pass


class StoreError(LedgerError):
    """The store cannot be used: corrupt, too new, foreign, locked or not writable."""

    exit_code = 3


class StoreLocked(StoreError):
    pass


class CorruptStore(StoreError):
    pass


class ConfigError(LedgerError):
    pass
