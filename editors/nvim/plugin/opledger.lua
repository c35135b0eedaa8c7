-- User commands only; everything else loads on first use (require('opledger')).
if vim.g.loaded_opledger then
  return
end
vim.g.loaded_opledger = true

local function opledger()
  return require('opledger')
end

vim.api.nvim_create_user_command('LedgerAccept', function()
  opledger().accept()
end, { desc = 'opledger: accept the agent-written region at the cursor' })

vim.api.nvim_create_user_command('LedgerReject', function()
  opledger().reject()
end, { desc = 'opledger: reject the region at the cursor and restore the original text' })

vim.api.nvim_create_user_command('LedgerRework', function(cmd)
  opledger().rework(cmd.args ~= '' and cmd.args or nil)
end, {
  nargs = '?',
  complete = function()
    return opledger().reasons
  end,
  desc = 'opledger: send the region at the cursor back for rework [reason]',
})

vim.api.nvim_create_user_command('LedgerAcceptAll', function()
  opledger().accept_all()
end, { desc = 'opledger: accept every pending region in this file' })

vim.api.nvim_create_user_command('LedgerShow', function(cmd)
  opledger().show(cmd.args ~= '' and cmd.args or nil)
end, { nargs = '?', desc = "opledger: show the workflow's ledger [workflow]" })
