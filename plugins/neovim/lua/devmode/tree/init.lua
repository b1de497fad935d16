-- The sidebar (filetype `devmode-tree`): the cluster tree read lazily through `tree/children`, re-read where
-- `tree/didChange` says, node states shown by a glyph and a highlight, and a key for each of a node's actions.

local config = require('devmode.config')
local server = require('devmode.server')
local Model = require('devmode.tree.model')

local M = {
  model = Model.new(),
  ---@type integer|nil
  buf = nil,
  --- Rows as last drawn, by line number.
  ---@type devmode.TreeRow[]
  rows = {},
}

local glyphs = {
  running = '●',
  pending = '◌',
  succeeded = '✓',
  failed = '✗',
  terminating = '◌',
  ['devMode-starting'] = '◐',
  ['devMode-mine'] = '◆',
  ['devMode-other'] = '◇',
  ['devMode-stale'] = '⚠',
  unreachable = '✗',
}

local highlights = {
  running = 'DevModeRunning',
  pending = 'DevModePending',
  succeeded = 'DevModeSucceeded',
  failed = 'DevModeFailed',
  terminating = 'DevModePending',
  ['devMode-starting'] = 'DevModePending',
  ['devMode-mine'] = 'DevModeMine',
  ['devMode-other'] = 'DevModeOther',
  ['devMode-stale'] = 'DevModeFailed',
  unreachable = 'DevModeFailed',
}

local function define_highlights()
  local links = {
    DevModeRunning = 'String',
    DevModePending = 'WarningMsg',
    DevModeSucceeded = 'Comment',
    DevModeFailed = 'ErrorMsg',
    DevModeMine = 'Special',
    DevModeOther = 'Constant',
    DevModeDescription = 'Comment',
  }
  for group, target in pairs(links) do
    vim.api.nvim_set_hl(0, group, { link = target, default = true })
  end
end

local namespace = vim.api.nvim_create_namespace('devmode-tree')

--- The key of each action a node may list, in the order the help shows them.
M.keys = {
  { key = '<CR>', action = nil, text = 'expand or collapse' },
  { key = 's', action = 'startDevMode', text = 'start DevMode' },
  { key = 'S', action = 'stopDevMode', text = 'stop DevMode' },
  { key = 'r', action = 'resetDevMode', text = 'reset DevMode' },
  { key = 'c', action = 'openDevConfig', text = 'open devmode.yaml' },
  { key = 't', action = 'openTerminal', text = 'open a terminal' },
  { key = 'l', action = 'openLogs', text = 'follow the logs' },
  { key = 'p', action = 'startPortForward', text = 'forward a port' },
  { key = 'y', action = 'syncStatus', text = 'show the sync status' },
  { key = 'R', action = 'refresh', text = 'read the node again' },
  { key = '?', action = nil, text = 'this help' },
}

local function buffer_valid()
  return M.buf ~= nil and vim.api.nvim_buf_is_valid(M.buf)
end

local function tree_window()
  if not buffer_valid() then return nil end
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == M.buf then return win end
  end
  return nil
end

--- Draws the model into the buffer, keeping the cursor on the same node.
function M.render()
  if not buffer_valid() then return end
  local win = tree_window()
  local cursor_node = nil
  if win then
    local row = M.rows[vim.api.nvim_win_get_cursor(win)[1]]
    cursor_node = row and row.node.id
  end
  M.rows = M.model:rows()
  local lines = {}
  for _, row in ipairs(M.rows) do table.insert(lines, Model.line(row, glyphs)) end
  if #lines == 0 then lines = { M.loading and 'Reading the cluster…' or (M.error or 'No kubeconfig contexts') } end
  vim.api.nvim_buf_set_option(M.buf, 'modifiable', true)
  vim.api.nvim_buf_set_lines(M.buf, 0, -1, false, lines)
  vim.api.nvim_buf_set_option(M.buf, 'modifiable', false)
  vim.api.nvim_buf_clear_namespace(M.buf, namespace, 0, -1)
  for index, row in ipairs(M.rows) do
    local group = row.node.state and highlights[row.node.state]
    if group then vim.api.nvim_buf_add_highlight(M.buf, namespace, group, index - 1, 0, -1) end
  end
  if win and cursor_node then
    for index, row in ipairs(M.rows) do
      if row.node.id == cursor_node then
        vim.api.nvim_win_set_cursor(win, { index, 0 })
        break
      end
    end
  end
end

--- Reads the children of `id` (nil or ROOT for the top level) and redraws.
function M.fetch(id, callback)
  if id == Model.ROOT then id = nil end
  M.loading = not M.model:loaded(nil)
  server.request('tree/children', { nodeId = id }, function(err, result)
    M.loading = false
    if err then
      M.error = 'tree/children failed: ' .. err.message
      server.notify(require('devmode.rpc.client').describe(err), vim.log.levels.ERROR)
    else
      M.error = nil
      M.model:set_children(id, result.nodes or {})
    end
    M.render()
    if callback then callback(err) end
  end)
end

--- The node under the cursor when the cursor is in the sidebar.
---@return devmode.TreeNode|nil
function M.node_under_cursor()
  if not buffer_valid() or vim.api.nvim_get_current_buf() ~= M.buf then return nil end
  local row = M.rows[vim.api.nvim_win_get_cursor(0)[1]]
  return row and row.node
end

local function has_action(node, action)
  for _, listed in ipairs(node.actions or {}) do
    if listed == action then return true end
  end
  return false
end

--- Toggles the node under the cursor.
function M.toggle_node()
  local node = M.node_under_cursor()
  if not node then return end
  if M.model:toggle(node.id) then
    M.fetch(node.id)
  else
    M.render()
  end
end

--- Runs an action on the node under the cursor, if the node offers it.
function M.run_action(action)
  local node = M.node_under_cursor()
  if not node then return end
  if not has_action(node, action) then
    server.notify(('%s is not offered on %s %s'):format(action, node.kind, node.label), vim.log.levels.WARN)
    return
  end
  local commands = require('devmode.commands')
  if action == 'refresh' then
    M.fetch(node.hasChildren and node.id or M.model.parent[node.id])
  else
    commands.run_action(action, node)
  end
end

function M.help()
  local lines = { 'DevMode tree keys:' }
  for _, entry in ipairs(M.keys) do table.insert(lines, ('  %-5s %s'):format(entry.key, entry.text)) end
  server.notify(table.concat(lines, '\n'))
end

local function create_buffer()
  define_highlights()
  M.buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(M.buf, 'devmode://tree')
  for option, value in pairs({ buftype = 'nofile', bufhidden = 'hide', swapfile = false, modifiable = false }) do
    vim.api.nvim_buf_set_option(M.buf, option, value)
  end
  vim.api.nvim_buf_set_option(M.buf, 'filetype', 'devmode-tree')
  local function map(key, fn, desc)
    vim.keymap.set('n', key, fn, { buffer = M.buf, nowait = true, silent = true, desc = desc })
  end
  for _, entry in ipairs(M.keys) do
    if entry.key == '<CR>' then
      map('<CR>', M.toggle_node, entry.text)
    elseif entry.key == '?' then
      map('?', M.help, entry.text)
    else
      map(entry.key, function() M.run_action(entry.action) end, entry.text)
    end
  end
end

--- Opens the sidebar, or closes it when it is open.
function M.toggle()
  local win = tree_window()
  if win then
    vim.api.nvim_win_close(win, true)
    return
  end
  if not buffer_valid() then create_buffer() end
  local side = config.options.tree.position == 'right' and 'botright' or 'topleft'
  vim.cmd(('%s vertical %dsplit'):format(side, config.options.tree.width))
  vim.api.nvim_win_set_buf(0, M.buf)
  for option, value in pairs({ number = false, relativenumber = false, wrap = false, cursorline = true, winfixwidth = true }) do
    vim.api.nvim_win_set_option(0, option, value)
  end
  if not M.model:loaded(nil) then
    M.loading = true
    M.render()
    M.fetch(nil)
  else
    M.render()
  end
end

--- Re-reads every node the sidebar shows (after a server restart).
function M.reload()
  for _, id in ipairs(M.model:loaded_ids()) do M.fetch(id) end
end

server.on('tree/didChange', function(params)
  for _, id in ipairs(M.model:to_refetch(params.nodeIds or {})) do M.fetch(id) end
end)
server.on_restart(M.reload)

--- The workload nodes read so far, for choosing a target without the sidebar.
function M.workloads()
  local result = {}
  for _, node in pairs(M.model.nodes) do
    if node.kind == 'workload' and node.target then table.insert(result, node) end
  end
  table.sort(result, function(a, b) return a.id < b.id end)
  return result
end

return M
