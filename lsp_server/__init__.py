"""The language server (pygls): agent-written regions in any LSP editor. Depends on ledger_core's public API only."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ai-operating-ledger")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0"
