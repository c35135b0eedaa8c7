"""The team service: the ledger's JSON API over HTTP (FastAPI on uvicorn), for team mode.

``create_app(settings, store)`` builds a stateless app over any ``Store`` (PostgreSQL in
production), so several replicas can run behind a load balancer against one database. It
depends on ``ledger_core`` only; editors, the bot and CLIs reach it through
``ledger_core.store.http.HttpStore``.
"""

from .app import create_app

__all__ = ["create_app"]
