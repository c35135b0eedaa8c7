-- Benchmark driver: open a file with BENCH_REGIONS pending regions, time the first diagnostics,
-- then BENCH_ACCEPTS opledger/status requests and :LedgerAccept round trips; JSON to BENCH_RESULTS.
local seen = {}
local uv = vim.uv

local function ms_since(t0)
  return (uv.hrtime() - t0) / 1e6
end

local function count()
  local n = 0
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.source == 'opledger' then
      n = n + 1
    end
  end
  return n
end

local function wait(what, pred)
  if not vim.wait(60000, pred, 2) then
    error('timed out waiting for ' .. what)
  end
end

local function median(xs)
  table.sort(xs)
  return xs[math.floor((#xs + 1) / 2)]
end

local function run()
  vim.notify = function() end
  local opledger = require('opledger')
  opledger.setup()
  local regions = tonumber(vim.env.BENCH_REGIONS)
  local t0 = uv.hrtime()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.BENCH_FILE))
  wait('diagnostics', function() return count() == regions end)
  seen.first_diagnostics_ms = ms_since(t0)

  local client = opledger.client(0)
  local status = {}
  for _ = 1, tonumber(vim.env.BENCH_ACCEPTS) do
    local t, done = uv.hrtime(), false
    client:request('opledger/status', { uri = vim.uri_from_bufnr(0) }, function() done = true end, 0)
    wait('status', function() return done end)
    table.insert(status, ms_since(t))
  end
  seen.status_ms = median(status)

  local accepts = {}
  for n = 1, tonumber(vim.env.BENCH_ACCEPTS) do
    local before = count()
    local d = vim.diagnostic.get(0)[1]
    vim.api.nvim_win_set_cursor(0, { d.lnum + 1, 4 })
    local t = uv.hrtime()
    vim.cmd('LedgerAccept')
    wait('accept ' .. n, function() return count() == before - 1 end)
    table.insert(accepts, ms_since(t))
  end
  seen.accept_ms = median(accepts)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  seen.error = err
end
local out = assert(io.open(vim.env.BENCH_RESULTS, 'w'))
out:write(vim.json.encode(seen))
out:close()
vim.cmd(ok and 'qall!' or 'cquit 1')
