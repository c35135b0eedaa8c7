"""The Slack app (bolt): ledgers on demand, context-prep requests, incident links, digests. Depends on ledger_core's public API only."""
