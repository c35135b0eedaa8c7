"""Importers: one module per source format, each turning what it reads into ledger facts.

Every importer is idempotent (entries carry ``source`` + ``source_ref``), reports what it
skipped and why, and stores no code or prompt text unless the team opted in.
"""
