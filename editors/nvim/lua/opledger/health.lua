--- :checkhealth opledger — Neovim version, the server executable, and the attached client.
local M = {}

function M.check()
  local health = vim.health
  local opledger = require('opledger')
  health.start('opledger')
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok('Neovim ' .. tostring(vim.version()) .. ' (vim.lsp.config / vim.lsp.enable)')
  elseif vim.fn.has('nvim-0.10') == 1 then
    health.warn('Neovim ' .. tostring(vim.version()) .. ': falling back to vim.lsp.start', 'Neovim 0.11 or newer is recommended')
  else
    health.error('Neovim 0.10 or newer is required')
  end

  local config = (vim.lsp.config and vim.lsp.config[opledger.name]) or {}
  local cmd = opledger.options.cmd or config.cmd or { 'opledger', 'lsp' }
  if type(cmd) ~= 'table' or vim.fn.executable(cmd[1]) ~= 1 then
    health.error(('server command %s is not executable'):format(vim.inspect(cmd)), {
      'pip install "ai-operating-ledger[lsp]"',
      "or set the command: require('opledger').setup({ cmd = { '/path/to/opledger', 'lsp' } })",
    })
  else
    local result = vim.system({ cmd[1], 'lsp', '--help' }, { text = true }):wait(20000)
    if result.code == 0 then
      health.ok(('`%s lsp` is available'):format(cmd[1]))
    else
      health.error(('`%s lsp --help` exited with %s'):format(cmd[1], tostring(result.code)), {
        'install the language server extra: pip install "ai-operating-ledger[lsp]"',
        vim.trim(result.stderr or ''),
      })
    end
  end

  local env = config.cmd_env or {}
  health.info('store: ' .. (env.OPLEDGER_STORE or vim.env.OPLEDGER_STORE or 'opledger default'))

  local client = opledger.client(0)
  if client then
    health.ok(('attached to this buffer (client id %d)'):format(client.id))
  else
    health.info('not attached to the current buffer (open a file in a project, or check :LspInfo)')
  end
end

return M
