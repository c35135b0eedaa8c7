"""Webhook receivers (ASGI): GitHub ``pull_request``, ``pull_request_review`` and ``check_suite``
events onto the ledger, through the same rules as the REST importer.

``create_webhook_app(settings, store)`` returns a Starlette app; the team service may mount it,
``opledger webhooks serve`` runs it alone. Depends on ledger_core only.
"""

from .github import create_webhook_app

__all__ = ["create_webhook_app"]
