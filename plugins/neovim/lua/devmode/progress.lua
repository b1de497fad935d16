-- `$/progress`: one notification per operation, updated in place when the notifier supports `replace`
-- (nvim-notify and similar), otherwise one line per step; the statusline shows the latest step too.
-- Tokens come from our own requests (workDoneToken) or from the server (`window/workDoneProgress/create`).

local server = require('devmode.server')

local M = {
  ---@type table<string|integer, { title: string, message: string|nil, percentage: integer|nil, phase: string|nil, request: table|nil, notification: any, done: boolean }>
  active = {},
  --- Every payload seen, oldest first, for `:DevMode log` and tests.
  history = {},
}

local next_token = 0

--- A fresh token for a request's `workDoneToken`; `request` is the handle from server.request, for cancelling.
function M.token()
  next_token = next_token + 1
  return ('nvim-%d-%d'):format(vim.fn.getpid(), next_token)
end

local cancel_mapped = false

--- While an operation of ours runs, <C-c> in normal mode cancels it (unless the person mapped <C-c> already).
local function update_cancel_key()
  local running = M.current() ~= nil
  if running and not cancel_mapped and vim.fn.maparg('<C-c>', 'n') == '' then
    vim.keymap.set('n', '<C-c>', function() M.cancel_all() end, { desc = 'Cancel the running DevMode operation' })
    cancel_mapped = true
  elseif not running and cancel_mapped then
    pcall(vim.keymap.del, 'n', '<C-c>')
    cancel_mapped = false
  end
end

--- Ties a token to the request it reports on, so `:DevMode cancel` and <C-c> can cancel it.
function M.track(token, handle)
  M.active[token] = M.active[token] or { title = handle.method, done = false }
  M.active[token].request = handle
  update_cancel_key()
end

local function text_of(entry)
  local parts = { entry.title }
  if entry.phase then table.insert(parts, '[' .. entry.phase .. ']') end
  if entry.message then table.insert(parts, entry.message) end
  if entry.percentage then table.insert(parts, ('(%d%%)'):format(entry.percentage)) end
  return table.concat(parts, ' ')
end

local function show(entry, level)
  local ok, handle = pcall(vim.notify, text_of(entry), level or vim.log.levels.INFO, {
    title = 'DevMode',
    replace = entry.notification,
    hide_from_history = entry.notification ~= nil,
  })
  if ok and type(handle) == 'table' then entry.notification = handle end
end

--- Forgets a token once its request was answered (a request refused before any progress sends no `end`).
function M.finish(token)
  M.active[token] = nil
  update_cancel_key()
end

--- Handles one `$/progress` payload.
---@param params devmode.ProgressParams
function M.on_progress(params)
  local value = params.value or {}
  local entry = M.active[params.token] or { title = 'DevMode', done = false }
  M.active[params.token] = entry
  table.insert(M.history, { token = params.token, value = value })
  if value.kind == 'begin' then
    entry.title = value.title or entry.title
    entry.done = false
  end
  if value.message then entry.message = value.message end
  if value.percentage then entry.percentage = value.percentage end
  if value.phase then entry.phase = value.phase end
  if value.kind == 'end' then
    entry.done = true
    local request = entry.request
    if request and request.cancelled then
      -- Neovim's rpc client drops a `RequestCancelled` answer without calling back; the server sends `end` just
      -- before answering, so a cancelled request still unanswered shortly after `end` was cancelled.
      vim.defer_fn(function()
        request.settle({ code = -32800, name = 'RequestCancelled', message = 'cancelled', data = {} }, nil)
      end, 500)
    end
    entry.percentage = nil
    show(entry)
    M.active[params.token] = nil
  else
    show(entry)
  end
  update_cancel_key()
  vim.cmd('redrawstatus')
end

--- The newest unfinished operation, for the statusline.
function M.current()
  for _, entry in pairs(M.active) do
    if not entry.done then return entry end
  end
  return nil
end

--- Cancels every unfinished operation: `$/cancelRequest` for ours, `window/workDoneProgress/cancel` for the server's.
---@return integer how many were cancelled
function M.cancel_all()
  local count = 0
  for token, entry in pairs(M.active) do
    if not entry.done then
      if entry.request then
        server.cancel(entry.request)
      else
        server.send('window/workDoneProgress/cancel', { token = token })
      end
      count = count + 1
    end
  end
  return count
end

server.on('$/progress', M.on_progress)
server.handle('window/workDoneProgress/create', function(params)
  M.active[params.token] = { title = 'DevMode', done = false }
  return nil
end)

return M
