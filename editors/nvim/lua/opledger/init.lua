--- opledger for Neovim: agent-written regions as diagnostics, and review decisions
--- (accept / reject / rework) sent to the `opledger lsp` server as workspace/executeCommand.
--- The server does the bookkeeping and applies Reject itself through workspace/applyEdit;
--- this module only finds the client, builds the argument object and shows the results.
local M = {}

M.name = 'opledger'

--- Why a region goes back for rework; the server refuses anything else.
M.reasons = { 'wrong_problem', 'violates_invariant', 'missing_context', 'style', 'tests_insufficient', 'other' }

---@class opledger.Options
---@field cmd? string[] command that starts the server (default `{ 'opledger', 'lsp' }`)
---@field store? string ledger store (directory or team URL), passed as OPLEDGER_STORE
---@field config? string config.toml path, passed as OPLEDGER_CONFIG
---@field filetypes? string[] attach only to these filetypes (default: every file)
---@field root_markers? string[] files that mark a project root

---@class opledger.Status
---@field pending integer
---@field pendingInFile integer
---@field workflow string|vim.NIL|nil

---@type opledger.Options
M.options = {}

---@param opts? opledger.Options
---@return vim.lsp.Config
local function lsp_config(opts)
  local config = { cmd_env = {} } ---@type vim.lsp.Config
  if opts.cmd then
    config.cmd = opts.cmd
  end
  if opts.store and opts.store ~= '' then
    config.cmd_env.OPLEDGER_STORE = opts.store
  end
  if opts.config and opts.config ~= '' then
    config.cmd_env.OPLEDGER_CONFIG = opts.config
  end
  config.filetypes = opts.filetypes
  config.root_markers = opts.root_markers
  return config
end

local function notify(msg, level)
  vim.notify('opledger: ' .. msg, level or vim.log.levels.INFO)
end

--- Configure and enable the server. Neovim 0.11+ uses vim.lsp.config/enable; older
--- versions start the client from a FileType autocommand with vim.lsp.start.
---@param opts? opledger.Options
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', {}, opts or {})
  local config = lsp_config(M.options)
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config(M.name, config)
    vim.lsp.enable(M.name)
  else
    local base = { name = M.name, cmd = { 'opledger', 'lsp' } }
    local merged = vim.tbl_deep_extend('force', base, config)
    vim.api.nvim_create_autocmd('FileType', {
      group = vim.api.nvim_create_augroup('opledger.start', { clear = true }),
      callback = function(ev)
        if vim.bo[ev.buf].buftype ~= '' then
          return
        end
        if merged.filetypes and not vim.tbl_contains(merged.filetypes, vim.bo[ev.buf].filetype) then
          return
        end
        local start = vim.deepcopy(merged)
        start.root_dir = vim.fs.root(ev.buf, merged.root_markers or { '.git' })
        vim.lsp.start(start, { bufnr = ev.buf })
      end,
    })
  end
  local group = vim.api.nvim_create_augroup('opledger.status', { clear = true })
  vim.api.nvim_create_autocmd({ 'LspAttach', 'BufEnter', 'DiagnosticChanged' }, {
    group = group,
    callback = function(ev)
      if M.client(ev.buf) then
        M.refresh_status(ev.buf)
      end
    end,
  })
end

---@param bufnr? integer
---@return vim.lsp.Client?
function M.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or 0, name = M.name })[1]
end

---@param bufnr integer
---@return vim.lsp.Client?
local function client_or_warn(bufnr)
  local client = M.client(bufnr)
  if not client then
    notify('the language server is not attached to this buffer (see :checkhealth opledger)', vim.log.levels.WARN)
  end
  return client
end

--- The argument object of a decision: the document and the cursor, the server finds the region.
---@param client vim.lsp.Client
---@param reason? string
---@return table
function M.decision_args(client, reason)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local args = { uri = params.textDocument.uri, position = params.position }
  if reason then
    args.reason = reason
  end
  return args
end

--- Send one executeCommand; `on_done(result)` runs when the server answered without error.
---@param command string
---@param args table
---@param on_done? fun(result: any)
function M.execute(command, args, on_done)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_or_warn(bufnr)
  if not client then
    return
  end
  client:request('workspace/executeCommand', { command = command, arguments = { args } }, function(err, result)
    if err then
      notify(command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    M.refresh_status(bufnr)
    if on_done then
      on_done(result)
    end
  end, bufnr)
end

local function decide(command, reason, message)
  local client = client_or_warn(vim.api.nvim_get_current_buf())
  if client then
    M.execute(command, M.decision_args(client, reason), function()
      notify(message)
    end)
  end
end

function M.accept()
  decide('opledger.accept', nil, 'region accepted')
end

function M.reject()
  decide('opledger.reject', nil, 'region rejected, original text restored')
end

---@param reason? string one of M.reasons; asks with vim.ui.select when nil
function M.rework(reason)
  if reason then
    if not vim.tbl_contains(M.reasons, reason) then
      notify(('unknown rework reason %q; use one of %s'):format(reason, table.concat(M.reasons, ', ')), vim.log.levels.ERROR)
      return
    end
    decide('opledger.rework', reason, 'region sent back for rework (' .. reason .. ')')
    return
  end
  vim.ui.select(M.reasons, { prompt = 'Why does this region go back for rework?' }, function(choice)
    if choice then
      decide('opledger.rework', choice, 'region sent back for rework (' .. choice .. ')')
    end
  end)
end

function M.accept_all()
  M.execute('opledger.acceptAll', { uri = vim.uri_from_bufnr(0) }, function()
    notify('all pending regions in this file accepted')
  end)
end

--- Show the workflow's ledger (the server's JSON summary) in a scratch split.
---@param workflow? string a workflow key; default: the current file's workflow
function M.show(workflow)
  local args = workflow and { workflow = workflow } or { uri = vim.uri_from_bufnr(0) }
  M.execute('opledger.showLedger', args, function(result)
    M.last_ledger = result
    local lines = {}
    if vim.fn.has('nvim-0.12') == 1 then
      lines = vim.split(vim.json.encode(result, { indent = '  ', sort_keys = true }), '\n', { trimempty = true })
    elseif type(result) == 'table' and not vim.islist(result) then
      -- 0.11's encoder cannot indent: one top-level key per line keeps it readable.
      local keys = vim.tbl_keys(result)
      table.sort(keys)
      lines[1] = '{'
      for i, key in ipairs(keys) do
        lines[#lines + 1] = ('  %s: %s%s'):format(vim.json.encode(key), vim.json.encode(result[key]), i < #keys and ',' or '')
      end
      lines[#lines + 1] = '}'
    else
      lines = { vim.json.encode(result) }
    end
    vim.cmd('botright new')
    local buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].buftype = 'nofile'
    vim.bo[buf].bufhidden = 'wipe'
    vim.bo[buf].swapfile = false
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    vim.bo[buf].filetype = 'json'
    vim.bo[buf].modifiable = false
    pcall(vim.api.nvim_buf_set_name, buf, 'opledger://ledger/' .. (workflow or 'current'))
  end)
end

--- Ask the server for `opledger/status` and cache it in `b:opledger_status`.
---@param bufnr? integer
function M.refresh_status(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client or not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  client:request('opledger/status', { uri = vim.uri_from_bufnr(bufnr) }, function(err, result)
    if err or type(result) ~= 'table' or not vim.api.nvim_buf_is_valid(bufnr) then
      return
    end
    vim.b[bufnr].opledger_status = result
    vim.cmd.redrawstatus({ bang = true })
  end, bufnr)
end

--- A statusline component, e.g. `%{v:lua.require'opledger'.statusline()}`:
--- "WF-1 1/3 pending" (this file / the workflow), "WF-1 ✓" when nothing is pending.
---@return string
function M.statusline()
  local status = vim.b.opledger_status ---@type opledger.Status?
  if type(status) ~= 'table' then
    return ''
  end
  local workflow = type(status.workflow) == 'string' and status.workflow or 'no workflow'
  if (status.pending or 0) == 0 then
    return workflow .. ' ✓'
  end
  return ('%s %d/%d pending'):format(workflow, status.pendingInFile or 0, status.pending)
end

return M
