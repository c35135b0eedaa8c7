"""Benchmarks of the HTML Ledger Audit and team report (``python -m benchmarks.reports``)."""
