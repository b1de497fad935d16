-- `:DevMode log`: the server's log (`window/logMessage`, `window/showMessage` and the plugin's own errors) in a
-- scratch buffer that follows new lines.

local server = require('devmode.server')

local M = { buf = nil }

local function render()
  if not (M.buf and vim.api.nvim_buf_is_valid(M.buf)) then return end
  vim.api.nvim_buf_set_option(M.buf, 'modifiable', true)
  vim.api.nvim_buf_set_lines(M.buf, 0, -1, false, #server.log > 0 and server.log or { '(the server has not logged anything yet)' })
  vim.api.nvim_buf_set_option(M.buf, 'modifiable', false)
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == M.buf then vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(M.buf), 0 }) end
  end
end

function M.open()
  if not (M.buf and vim.api.nvim_buf_is_valid(M.buf)) then
    M.buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(M.buf, 'devmode://log')
    vim.api.nvim_buf_set_option(M.buf, 'filetype', 'devmode-log')
  end
  vim.cmd('belowright split')
  vim.api.nvim_win_set_buf(0, M.buf)
  render()
end

server.on('devmode/log', function()
  vim.schedule(render)
end)

return M
