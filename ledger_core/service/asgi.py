"""The app as uvicorn imports it in each worker process of ``opledger serve --workers N``.

Workers are separate processes (one Python thread of HTTP handling each, so several use
several cores); each builds its own app and connection pool from what ``serve`` left in the
environment. Nothing is shared between them but the database, as between replicas.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from ..config import load_settings
from ..store import open_store
from .app import create_app

DB = "OPLEDGER_SERVE_DB"
POOL = "OPLEDGER_SERVE_POOL"
CONFIG = "OPLEDGER_SERVE_CONFIG"


def app_from_env() -> FastAPI:
    config = os.environ.get(CONFIG)
    settings = load_settings(Path(config) if config else None)
    store = open_store(os.environ[DB], max_size=int(os.environ.get(POOL, "20")))
    return create_app(settings, store)
