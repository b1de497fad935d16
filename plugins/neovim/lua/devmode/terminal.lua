-- Terminals: one terminal buffer per `terminal/open`, fed by `terminal/didOutput`, keys sent as
-- `terminal/input`, resized with its window, the exit code written when the command ends, and closed with
-- `terminal/close` when the buffer goes away first.

local config = require('devmode.config')
local devMode = require('devmode.devMode')
local server = require('devmode.server')

local M = {
  ---@type table<string, { buf: integer, chan: integer, exited: boolean, exitCode: integer|nil, size: integer[] }>
  terminals = {},
}

local early = {} -- output that arrived before the open request's answer, by terminal id

local function window_size(buf)
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == buf then
      return vim.api.nvim_win_get_width(win), vim.api.nvim_win_get_height(win)
    end
  end
  return nil
end

--- Opens a terminal on `target` (a Target, PodTarget or LocalTerminalTarget) running `command` (nil: a shell).
---@param callback fun(err: table|nil, id: string|nil, buf: integer|nil)|nil
function M.open(target, command, callback)
  vim.cmd(config.options.terminal.split)
  local buf = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_win_set_buf(0, buf)
  local cols, rows = vim.api.nvim_win_get_width(0), vim.api.nvim_win_get_height(0)
  local entry = { buf = buf, exited = false, size = { cols, rows } }
  entry.chan = vim.api.nvim_open_term(buf, {
    on_input = function(_, _, _, data) M.input(buf, data) end,
  })
  local title = target['local'] and 'local' or devMode.describe_target(target)
  pcall(vim.api.nvim_buf_set_name, buf, ('devmode://terminal/%s/%d'):format(title, buf))
  server.request('terminal/open', { target = target, command = command, cols = cols, rows = rows }, function(err, result)
    if err then
      vim.api.nvim_chan_send(entry.chan, 'DevMode: ' .. require('devmode.rpc.client').describe(err):gsub('\n', '\r\n') .. '\r\n')
      devMode.report('terminal failed', err)
      if callback then callback(err) end
      return
    end
    local id = result.terminalId
    M.terminals[id] = entry
    for _, data in ipairs(early[id] or {}) do vim.api.nvim_chan_send(entry.chan, data) end
    early[id] = nil
    vim.api.nvim_create_autocmd({ 'BufWipeout', 'BufDelete' }, {
      buffer = buf,
      once = true,
      callback = function()
        if not entry.exited then server.request('terminal/close', { terminalId = id }, function() end) end
        M.terminals[id] = nil
      end,
    })
    if callback then callback(nil, id, buf) end
  end)
  return buf
end

--- Sends keys typed into a terminal buffer to its command (what terminal mode does with each key).
function M.input(buf, data)
  for id, entry in pairs(M.terminals) do
    if entry.buf == buf and not entry.exited then
      server.send('terminal/input', { terminalId = id, data = data })
      return true
    end
  end
  return false
end

--- Sends the windows' sizes of every terminal whose window changed size.
function M.resize_all()
  for id, entry in pairs(M.terminals) do
    if not entry.exited and vim.api.nvim_buf_is_valid(entry.buf) then
      local cols, rows = window_size(entry.buf)
      if cols and (cols ~= entry.size[1] or rows ~= entry.size[2]) then
        entry.size = { cols, rows }
        server.send('terminal/resize', { terminalId = id, cols = cols, rows = rows })
      end
    end
  end
end

server.on('terminal/didOutput', function(params)
  local entry = M.terminals[params.terminalId]
  if not entry then
    early[params.terminalId] = early[params.terminalId] or {}
    table.insert(early[params.terminalId], params.data)
    return
  end
  if vim.api.nvim_buf_is_valid(entry.buf) then vim.api.nvim_chan_send(entry.chan, params.data) end
end)

server.on('terminal/didExit', function(params)
  local entry = M.terminals[params.terminalId]
  if not entry then return end
  entry.exited, entry.exitCode = true, params.exitCode
  if vim.api.nvim_buf_is_valid(entry.buf) then
    local code = params.exitCode and tostring(params.exitCode) or 'unknown'
    vim.api.nvim_chan_send(entry.chan, ('\r\n[DevMode: the command exited with code %s%s]\r\n'):format(code,
      params.reason and (': ' .. params.reason) or ''))
  end
end)

vim.api.nvim_create_autocmd({ 'VimResized', 'WinScrolled', 'WinEnter' }, {
  group = vim.api.nvim_create_augroup('devmode-terminal', { clear = true }),
  callback = function() M.resize_all() end,
})

return M
