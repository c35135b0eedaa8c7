"""SQL migrations of the team database, applied in file-name order by ``opledger db upgrade``.

Each file ``NNNN_name.sql`` runs once, in its own transaction; applied versions are kept in
``opledger_schema``. Files are never edited after release: a change is a new file.
"""
