"""Team-mode fixtures: a fresh PostgreSQL database and a running ``opledger serve`` per module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))

from team_backends import ADMIN_TOKEN, Service, fresh_database, reset_database  # noqa: E402

__all__ = ["ADMIN_TOKEN", "Service", "reset_database"]


@pytest.fixture(scope="module")
def team_db() -> Iterator[str]:
    yield from fresh_database()


@pytest.fixture(scope="module")
def team_service(team_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = Service(team_db, tmp_path_factory.mktemp("team-service")).start()
    yield running
    running.stop()
