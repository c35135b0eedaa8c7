"""Editor clients: start-up cost of the plugins and the review loop in a real headless Neovim.

Ratios against baselines measured in the same run:

1. Neovim start-up with the opledger plugin and ``setup()`` vs. ``nvim --clean`` loading ``vim.lsp``.
2. Emacs ``--batch`` start-up with ``(require 'opledger)`` + ``opledger-setup`` vs. with
   ``(require 'eglot)`` alone (the package's own cost on top of eglot).
3. In Neovim against the real ``opledger lsp``: time from ``:edit`` to the diagnostics of a file
   with 40 pending regions vs. a file with 1; and one ``:LedgerAccept`` round trip (command,
   ledger write, republished diagnostics) vs. one ``opledger/status`` request.

Run: ``python -m benchmarks.editors`` (writes ``docs/benchmarks/editors.md``).
"""
