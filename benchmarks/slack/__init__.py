"""Slack bot benchmarks: ack latency of 50 simultaneous signed ``/ledger show`` and the digest
of a 1,000-workflow team. Run: ``python -m benchmarks.slack``."""
