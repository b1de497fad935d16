-- `:DevMode <subcommand>`: parsing, completion, and finding the target a command works on (its argument, else
-- the sidebar's node under the cursor, else the active session, else a choice through vim.ui.select).

local config = require('devmode.config')
local devMode = require('devmode.devMode')
local server = require('devmode.server')

-- Loaded here so that each concern subscribes to its notifications before the first request goes out.
require('devmode.logs')
require('devmode.portForward')
require('devmode.sync')
require('devmode.terminal')

local M = {}

local function tree() return require('devmode.tree') end

--- Splits `start deploy/ratings --duplicate -n shop -c web` into positional words and flags.
function M.parse_args(words)
  local positional, flags = {}, {}
  local i = 1
  while i <= #words do
    local word = words[i]
    if word == '--duplicate' then
      flags.duplicate = true
    elseif word == '-n' or word == '--namespace' then
      flags.namespace = words[i + 1]
      i = i + 1
    elseif word:match('^%-%-namespace=') then
      flags.namespace = word:sub(#'--namespace=' + 1)
    elseif word == '-c' or word == '--container' then
      flags.container = words[i + 1]
      i = i + 1
    elseif word:match('^%-%-container=') then
      flags.container = word:sub(#'--container=' + 1)
    else
      table.insert(positional, word)
    end
    i = i + 1
  end
  return positional, flags
end

local function workload_target(node)
  return node and node.target and node.target.kind and node.target or nil
end

--- Asks the person to pick a workload among those the sidebar has read, or to type kind/name.
local function ask_workload(prompt, flags, callback)
  local nodes = tree().workloads()
  if #nodes == 0 then
    vim.ui.input({ prompt = prompt .. ' (kind/name): ' }, function(text)
      if not text or text == '' then return end
      local target, problem = devMode.parse_target(text, flags.namespace)
      if not target then return server.notify(problem, vim.log.levels.ERROR) end
      callback(target)
    end)
    return
  end
  vim.ui.select(nodes, {
    prompt = prompt,
    format_item = function(node) return ('%s/%s  %s'):format(node.target.namespace, devMode.describe_target(node.target), node.description or '') end,
  }, function(node)
    if node then callback(node.target) end
  end)
end

--- The workload a command means: its argument, the sidebar node, or a choice.
local function with_workload(args, flags, prompt, callback)
  if args[1] then
    local target, problem = devMode.parse_target(args[1], flags.namespace)
    if not target then return server.notify(problem, vim.log.levels.ERROR) end
    return callback(target)
  end
  local target = workload_target(tree().node_under_cursor())
  if target then return callback(target) end
  ask_workload(prompt, flags, callback)
end

--- The session or target `stop`/`reset` mean: the argument, the sidebar node, or a choice among sessions.
local function with_session(args, flags, prompt, callback)
  if args[1] or tree().node_under_cursor() then
    return with_workload(args, flags, prompt, function(target) callback(devMode.session_for(target) or target) end)
  end
  devMode.list(function(sessions)
    if #sessions == 0 then return server.notify('No workload is in DevMode') end
    if #sessions == 1 then return callback(sessions[1].sessionId and sessions[1] or sessions[1].target) end
    vim.ui.select(sessions, {
      prompt = prompt,
      format_item = function(s) return ('%s/%s  %s%s'):format(s.target.namespace, devMode.describe_target(s.target), s.state, s.mine and '' or ' (not ours)') end,
    }, function(s)
      if s then callback(s.sessionId and s.mine and s or s.target) end
    end)
  end)
end

--- Where a terminal or a log stream goes: a named pod, the sidebar node, the active session's pod, or a choice;
--- in the container `-c` names, when given.
local function with_stream_target(args, flags, prompt, on_target)
  local callback = on_target
  if flags.container then
    callback = function(target) on_target(vim.tbl_extend('force', target, { container = flags.container })) end
  end
  local session = devMode.active()
  if args[1] then
    if args[1]:find('/') then
      local target, problem = devMode.parse_target(args[1], flags.namespace)
      if not target then return server.notify(problem, vim.log.levels.ERROR) end
      return callback(target)
    end
    local namespace = flags.namespace or (session and session.target.namespace) or config.options.namespace
    return callback({ namespace = namespace, pod = args[1] })
  end
  local node = tree().node_under_cursor()
  if node and node.target then return callback(node.target) end
  if session and session.pod then
    return callback({ namespace = session.target.namespace, context = session.target.context, pod = session.pod, container = session.container })
  end
  ask_workload(prompt, flags, callback)
end

--- Opens the folder's devmode.yaml (creating it when there is none) and checks it when a target is known.
function M.open_config(target)
  local dir = devMode.local_dir()
  local path = dir .. '/devmode.yaml'
  if vim.fn.filereadable(path) == 0 then
    vim.fn.writefile({
      '# The dev config of this folder: what DevMode runs instead of the workload\'s container.',
      '# Every field is optional; see :help devmode-config.',
      '# image: devmode/dev',
      '# command: ["sh", "-c", "sleep infinity"]',
      '# workDir: /app',
      '# portForward: ["8080:8080"]',
      '# env:',
      '#   DEBUG: "1"',
    }, path)
  end
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  target = target or workload_target(tree().node_under_cursor()) or (devMode.active() and devMode.active().target)
  if target then M.check_config(target, dir) end
end

--- Asks the server for the effective dev config; problems go into the quickfix list with file and line.
function M.check_config(target, dir, callback)
  server.request('devConfig/get', { target = target, localDir = dir or devMode.local_dir() }, function(err, result)
    if err then
      devMode.report('devmode.yaml', err)
    else
      vim.fn.setqflist({}, 'r', { title = 'DevMode', items = {} })
      server.notify(('devmode.yaml is valid for %s (container %s)'):format(devMode.describe_target(target), result.container))
    end
    if callback then callback(err, result) end
  end)
end

--- Runs a sidebar action on a node.
function M.run_action(action, node)
  local target = node.target
  if action == 'startDevMode' then
    devMode.start(target)
  elseif action == 'stopDevMode' then
    devMode.stop(devMode.session_for(target) or target)
  elseif action == 'resetDevMode' then
    devMode.reset(target)
  elseif action == 'openDevConfig' then
    M.open_config(workload_target(node))
  elseif action == 'openTerminal' then
    require('devmode.terminal').open(target, nil)
  elseif action == 'openLogs' then
    require('devmode.logs').open(target)
  elseif action == 'startPortForward' then
    vim.ui.input({ prompt = 'Forward LOCAL:REMOTE: ' }, function(text)
      if text and text ~= '' then require('devmode.portForward').start(target, text) end
    end)
  elseif action == 'syncStatus' then
    require('devmode.sync').run('status', devMode.session_for(target))
  end
end

M.subcommands = {
  tree = function() tree().toggle() end,
  start = function(args, flags)
    with_workload(args, flags, 'Start DevMode on', function(target) devMode.start(target, { duplicate = flags.duplicate }) end)
  end,
  stop = function(args, flags)
    with_session(args, flags, 'Stop DevMode on', function(which) devMode.stop(which) end)
  end,
  reset = function(args, flags)
    with_session(args, flags, 'Reset', function(which) devMode.reset(which.target or which) end)
  end,
  list = function() devMode.show_list() end,
  terminal = function(args, flags)
    with_stream_target(args, flags, 'Open a terminal in', function(target) require('devmode.terminal').open(target, nil) end)
  end,
  logs = function(args, flags)
    with_stream_target(args, flags, 'Follow the logs of', function(target) require('devmode.logs').open(target) end)
  end,
  forward = function(args, flags)
    local ports = args[1]
    if not ports then return server.notify('usage: :DevMode forward LOCAL:REMOTE', vim.log.levels.ERROR) end
    local session = devMode.active()
    local node_target = tree().node_under_cursor() and tree().node_under_cursor().target
    local target = node_target or (session and session.target)
    if args[2] then target = devMode.parse_target(args[2], flags.namespace) end
    if target then return require('devmode.portForward').start(target, ports) end
    ask_workload('Forward ' .. ports .. ' to', flags, function(t) require('devmode.portForward').start(t, ports) end)
  end,
  sync = function(args) require('devmode.sync').run(args[1] or 'status') end,
  debug = function(_, flags) require('devmode.debug').run(flags.container) end,
  config = function() M.open_config() end,
  log = function() require('devmode.serverLog').open() end,
  cancel = function()
    local count = require('devmode.progress').cancel_all()
    if count == 0 then server.notify('Nothing to cancel') end
  end,
}

local order = { 'tree', 'start', 'stop', 'reset', 'list', 'terminal', 'logs', 'forward', 'sync', 'debug', 'config', 'log', 'cancel' }

--- The `:DevMode` command.
function M.run(opts)
  local words = vim.split(vim.trim(opts.args or ''), '%s+', { trimempty = true })
  local name = table.remove(words, 1) or 'tree'
  local subcommand = M.subcommands[name]
  if not subcommand then
    return server.notify(('unknown :DevMode subcommand %q (expected %s)'):format(name, table.concat(order, ', ')), vim.log.levels.ERROR)
  end
  local positional, flags = M.parse_args(words)
  subcommand(positional, flags)
end

--- Completion for `:DevMode`.
function M.complete(arg_lead, cmd_line)
  local words = vim.split(cmd_line, '%s+', { trimempty = true })
  local completing_first = #words == 1 or (#words == 2 and arg_lead ~= '')
  local candidates
  if completing_first then
    candidates = order
  elseif words[2] == 'sync' then
    candidates = require('devmode.sync').subcommands
  elseif words[2] == 'start' then
    candidates = { '--duplicate', '-n' }
    for _, node in ipairs(tree().workloads()) do table.insert(candidates, devMode.describe_target(node.target)) end
  elseif words[2] == 'terminal' or words[2] == 'logs' or words[2] == 'debug' then
    candidates = { '-c', '-n' }
  elseif words[2] == 'stop' or words[2] == 'reset' then
    candidates = {}
    for _, session in pairs(devMode.sessions) do
      if session.state ~= 'stopped' then table.insert(candidates, devMode.describe_target(session.target)) end
    end
  else
    candidates = {}
  end
  return vim.tbl_filter(function(c) return vim.startswith(c, arg_lead) end, candidates)
end

return M
