"""The ``store`` fixture: one fresh, empty store per test, for each backend of the contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from team_backends import ADMIN_TOKEN, Service, fresh_database, reset_database

from ledger_core.store import Store


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    yield from fresh_database()


@pytest.fixture(scope="module")
def service_database() -> Iterator[str]:
    yield from fresh_database()


@pytest.fixture(scope="module")
def service(service_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = Service(service_database, tmp_path_factory.mktemp("service")).start()
    yield running
    running.stop()


@pytest.fixture(params=["embedded", "postgres", "http"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """(location, options) of an empty store of each kind."""
    if request.param == "embedded":
        yield str(tmp_path / "store"), {}
    elif request.param == "postgres":
        url = request.getfixturevalue("pg_database")
        reset_database(url)
        yield url, {}
    else:
        running: Service = request.getfixturevalue("service")
        reset_database(running.db)
        yield running.url, {"token": ADMIN_TOKEN, "outbox_dir": tmp_path / "outbox"}


@pytest.fixture
def store(backend: tuple[str, dict]) -> Iterator[Store]:
    from ledger_core.store import open_store

    location, options = backend
    opened = open_store(location, **options)
    yield opened
    opened.close()

