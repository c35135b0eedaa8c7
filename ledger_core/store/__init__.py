"""Stores: the ``Store`` protocol and ``open_store`` which picks a backend from a location.

A location is a directory path (embedded store), ``postgresql://...`` (team service database,
``ledger_core.store.postgres``) or ``http(s)://...`` (the team service, ``ledger_core.store.http``).
"""

from __future__ import annotations

from .base import AppendResult, ChainProblem, Store, VerifyReport
from .embedded import EmbeddedStore


def open_store(location: str, **options) -> Store:
    if location.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore  # optional dependency: the `team` extra

        return PostgresStore(location, **options)
    if location.startswith(("http://", "https://")):
        from .http import HttpStore  # optional dependency: the `team` extra

        return HttpStore(location, **options)
    return EmbeddedStore(location, **options)


__all__ = ["AppendResult", "ChainProblem", "EmbeddedStore", "Store", "VerifyReport", "open_store"]
