-- Logs: a scratch buffer per `logs/open` stream that follows `logs/didAppend` (scrolling along unless the
-- cursor was moved up), marks when the stream attaches to a new pod or a restarted container, and closes the
-- stream when the buffer goes away.

local config = require('devmode.config')
local devMode = require('devmode.devMode')
local server = require('devmode.server')

local M = {
  ---@type table<string, { buf: integer, pods: table<string, boolean>, ended: boolean }>
  streams = {},
}

local early = {}

local function follows(buf)
  local wins = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == buf then
      local at_end = vim.api.nvim_win_get_cursor(win)[1] >= vim.api.nvim_buf_line_count(buf)
      if at_end then table.insert(wins, win) end
    end
  end
  return wins
end

local function append(entry, lines)
  if not vim.api.nvim_buf_is_valid(entry.buf) or #lines == 0 then return end
  local wins = follows(entry.buf)
  vim.api.nvim_buf_set_option(entry.buf, 'modifiable', true)
  local count = vim.api.nvim_buf_line_count(entry.buf)
  local empty = count == 1 and vim.api.nvim_buf_get_lines(entry.buf, 0, 1, false)[1] == ''
  vim.api.nvim_buf_set_lines(entry.buf, empty and 0 or -1, -1, false, lines)
  vim.api.nvim_buf_set_option(entry.buf, 'modifiable', false)
  local last = vim.api.nvim_buf_line_count(entry.buf)
  for _, win in ipairs(wins) do vim.api.nvim_win_set_cursor(win, { last, 0 }) end
end

local function handle_append(entry, params)
  local lines = {}
  for _, attached in ipairs(params.attached or {}) do
    table.insert(lines, ('──── %s %s/%s ────'):format(attached.reason == 'newPod' and 'now following new pod' or 'container restarted:',
      attached.pod, attached.container))
  end
  local several = vim.tbl_count(entry.pods) > 1
  for _, line in ipairs(params.lines or {}) do
    local prefix = (several or #(params.attached or {}) > 0) and ('[' .. line.pod .. '] ') or ''
    local stamp = line.timestamp and (line.timestamp .. ' ') or ''
    for piece in (line.text .. '\n'):gmatch('(.-)\n') do table.insert(lines, stamp .. prefix .. piece) end
  end
  append(entry, lines)
end

--- Opens a following log stream of `target` (a Target or PodTarget) in a new scratch buffer.
function M.open(target, callback)
  vim.cmd(config.options.logs.split)
  local buf = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_win_set_buf(0, buf)
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  vim.api.nvim_buf_set_option(buf, 'filetype', 'devmode-logs')
  pcall(vim.api.nvim_buf_set_name, buf, ('devmode://logs/%s/%d'):format(devMode.describe_target(target), buf))
  server.request('logs/open', { target = target, follow = true, tailLines = config.options.logs.tail_lines }, function(err, result)
    if err then
      devMode.report('logs failed', err)
      if callback then callback(err) end
      return
    end
    local entry = { buf = buf, pods = {}, ended = false }
    for _, pod in ipairs(result.pods or {}) do entry.pods[pod] = true end
    M.streams[result.streamId] = entry
    for _, params in ipairs(early[result.streamId] or {}) do handle_append(entry, params) end
    early[result.streamId] = nil
    vim.api.nvim_create_autocmd({ 'BufWipeout', 'BufDelete' }, {
      buffer = buf,
      once = true,
      callback = function()
        if not entry.ended then server.request('logs/close', { streamId = result.streamId }, function() end) end
        M.streams[result.streamId] = nil
      end,
    })
    if callback then callback(nil, result.streamId, buf) end
  end)
  return buf
end

server.on('logs/didAppend', function(params)
  local entry = M.streams[params.streamId]
  if not entry then
    early[params.streamId] = early[params.streamId] or {}
    table.insert(early[params.streamId], params)
    return
  end
  for _, attached in ipairs(params.attached or {}) do entry.pods[attached.pod] = true end
  handle_append(entry, params)
end)

server.on('logs/didEnd', function(params)
  local entry = M.streams[params.streamId]
  if not entry then return end
  entry.ended = true
  append(entry, { ('──── stream ended: %s%s ────'):format(params.reason, params.message and (': ' .. params.message) or '') })
end)

return M
