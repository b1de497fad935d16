-- Defines :DevMode and the shutdown on exit; the modules load on first use.
if vim.g.loaded_devmode then return end
vim.g.loaded_devmode = true

vim.api.nvim_create_user_command('DevMode', function(opts)
  require('devmode.commands').run(opts)
end, {
  nargs = '*',
  complete = function(arg_lead, cmd_line) return require('devmode.commands').complete(arg_lead, cmd_line) end,
  desc = 'Kubernetes DevMode: tree, start, stop, reset, list, terminal, logs, forward, sync, config, log, cancel',
})

vim.api.nvim_create_autocmd('VimLeavePre', {
  group = vim.api.nvim_create_augroup('devmode', { clear = true }),
  callback = function()
    local server = package.loaded['devmode.server']
    if server then server.quit() end
  end,
})
