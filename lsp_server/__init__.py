"""The language server (pygls): agent-written regions in any LSP editor. Depends on ledger_core's public API only."""
