"""Real team backends for tests: a fresh PostgreSQL database per module, and a running service.

PostgreSQL comes from ``OPLEDGER_TEST_PG`` (default: the server ``.ci/start-postgres`` starts).
The service is the real ``opledger serve`` in a subprocess on a free loopback port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

PG_URL = os.environ.get("OPLEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:54329/postgres")
OPLEDGER = str(Path(sys.executable).with_name("opledger"))
ADMIN_TOKEN = "test-admin-" + uuid.uuid4().hex
RESET = """
TRUNCATE entry_docs, entries, entry_rollups, workflows, regions, incidents, kv;
UPDATE chain_head SET next_seq = 0, hash = repeat('0', 64);
"""


def _with_db(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def pg_available() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL at OPLEDGER_TEST_PG={PG_URL} (run .ci/start-postgres): {exc}"


def fresh_database() -> Iterator[str]:
    """A new, migrated database; dropped afterwards."""
    import psycopg

    from ledger_core.store.postgres import upgrade

    reason = pg_available()
    if reason:
        pytest.skip(reason)
    name = "opl_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_db(PG_URL, name)
    upgrade(url)
    try:
        yield url
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_database(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(RESET)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """``opledger serve`` as a subprocess; ``stop``/``start`` to simulate an outage."""

    def __init__(self, db: str, tmp: Path, port: int | None = None, workers: int = 1) -> None:
        self.db = db
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OPLEDGER_")}
        self.env.update(OPLEDGER_ADMIN_TOKEN=ADMIN_TOKEN, OPLEDGER_CONFIG=str(tmp / "service.toml"), HOME=str(tmp))
        self.proc: subprocess.Popen | None = None
        self.log = tmp / f"service-{self.port}.log"

    def start(self) -> Service:
        handle = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [OPLEDGER, "serve", "--db", self.db, "--port", str(self.port), "--pool", "20", "--workers", str(self.workers)],
            env=self.env, stdout=handle, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"service exited {self.proc.returncode}: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"service did not start: {self.log.read_text()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
