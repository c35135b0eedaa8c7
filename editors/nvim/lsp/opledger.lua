-- The opledger language server as a Neovim 0.11+ LSP config (see :h lsp-config).
-- `require('opledger').setup()` layers the user's options on top of this.

---@type vim.lsp.Config
return {
  cmd = { 'opledger', 'lsp' },
  -- No `filetypes`: agents edit any kind of file, so the server attaches to every file buffer.
  root_markers = { '.git', 'pyproject.toml', 'package.json', 'go.mod', 'Cargo.toml' },
}
