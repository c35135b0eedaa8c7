-- Drives headless Neovim through the review scenario with the opledger plugin's own
-- commands, and writes what it saw to $OPLEDGER_TEST_RESULTS for the pytest side to check.
-- Usage: nvim --headless --clean --cmd 'set rtp^=editors/nvim' -c 'luafile nvim_scenario.lua' FILE
local seen = { diagnostics = {}, notifications = {}, steps = {} }
local expected = vim.json.decode(vim.env.OPLEDGER_TEST_EXPECTED)
local TIMEOUT = 30000

local function finish(err)
  if err then
    seen.error = tostring(err)
    local client = require('opledger').client(0)
    seen.client_attached = client ~= nil
    seen.log = vim.lsp.get_log_path()
  end
  local out = assert(io.open(vim.env.OPLEDGER_TEST_RESULTS, 'w'))
  out:write(vim.json.encode(seen))
  out:close()
  vim.cmd(err and 'cquit 1' or 'qall!')
end

-- Messages the plugin shows are part of what the user sees: keep them for the test.
vim.notify = function(msg, level)
  table.insert(seen.notifications, { msg = msg, level = level or vim.log.levels.INFO })
end

local function wait_for(what, predicate)
  if not vim.wait(TIMEOUT, predicate, 50) then
    error('timed out waiting for ' .. what .. '; notifications: ' .. vim.inspect(seen.notifications))
  end
end

local function pending()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.source == 'opledger' and d.code == 'agent-edit' then
      local data = (d.user_data and d.user_data.lsp and d.user_data.lsp.data) or {}
      table.insert(found, { line = d.lnum, end_line = d.end_lnum, end_col = d.end_col, region = data.region, workflow = data.workflow, state = data.state })
    end
  end
  table.sort(found, function(a, b) return a.line < b.line end)
  return found
end

local function has_region_at(line)
  for _, d in ipairs(pending()) do
    if d.line == line then
      return true
    end
  end
  return false
end

local function at(line)
  vim.api.nvim_win_set_cursor(0, { line + 1, 2 })
end

local function scenario()
  local opledger = require('opledger')
  opledger.setup()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.OPLEDGER_TEST_FILE))

  wait_for('the opledger client', function() return opledger.client(0) ~= nil end)
  wait_for('three agent-edit diagnostics', function() return #pending() == 3 end)
  for _, d in ipairs(pending()) do
    -- A region covers whole lines: LSP ends it at column 0 of the next line or at the end of its last.
    local last = (d.end_col == 0 and d.end_line > d.line) and d.end_line - 1 or d.end_line
    table.insert(seen.diagnostics, { line = d.line, end_line = last, region = d.region, workflow = d.workflow, state = d.state })
  end
  wait_for('the statusline component', function() return opledger.statusline() ~= '' end)
  seen.statusline_before = opledger.statusline()

  at(expected.accept[1] + 1)
  vim.cmd('LedgerAccept')
  wait_for('the accepted region to leave the diagnostics', function() return #pending() == 2 end)
  table.insert(seen.steps, 'accept')

  local reject_line = expected.reject[1]
  seen.before_reject = vim.api.nvim_buf_get_lines(0, reject_line, reject_line + 1, false)[1]
  at(reject_line)
  vim.cmd('LedgerReject')
  wait_for('the original text to come back', function()
    return vim.api.nvim_buf_get_lines(0, reject_line, reject_line + 1, false)[1] == '    return 0'
  end)
  wait_for('the rejected region to leave the diagnostics', function() return #pending() == 1 end)
  table.insert(seen.steps, 'reject')

  at(expected.rework[1])
  vim.cmd('LedgerRework missing_context')
  wait_for('the reworked region to leave the diagnostics', function() return #pending() == 0 end)
  table.insert(seen.steps, 'rework')

  opledger.refresh_status(0)
  wait_for('the statusline to show nothing pending', function() return opledger.statusline():find('✓', 1, true) ~= nil end)
  seen.statusline_after = opledger.statusline()

  vim.cmd('LedgerShow')
  wait_for('the ledger summary', function() return opledger.last_ledger ~= nil end)
  seen.ledger_buffer = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  seen.ledger_filetype = vim.bo.filetype
  vim.cmd('close')

  vim.cmd('silent write')
  seen.text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n') .. '\n'
end

local ok, err = xpcall(scenario, debug.traceback)
finish(not ok and err or nil)
