-- The one connection to `devmode serve --stdio`: starts it on first use, runs the initialize handshake, routes
-- server notifications to the concern that subscribed, keeps the server's log, restarts a crashed server with
-- back-off, and says goodbye (`shutdown`, `exit`) when Neovim quits.

local config = require('devmode.config')
local rpc = require('devmode.rpc.client')

local M = {
  ---@type devmode.Client|nil
  client = nil,
  ---@type 'stopped'|'starting'|'ready'|'failed'
  status = 'stopped',
  ---@type devmode.InitializeResult|nil
  info = nil,
  --- Restarts since the server last ran for a minute without crashing.
  restarts = 0,
  --- True while the plugin itself stops the server, so that its exit is not taken for a crash.
  stopping = false,
  --- The server's log: `window/logMessage` lines, newest last.
  log = {},
}

local subscribers = {} ---@type table<string, fun(params: any)[]>
local request_handlers = {} ---@type table<string, fun(params: any): any, devmode.RpcError|nil>
local waiting = {} ---@type fun(err: devmode.RpcError|nil)[]
local restart_listeners = {} ---@type fun()[]
local quitting = false

local message_levels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO, vim.log.levels.DEBUG, vim.log.levels.TRACE }
local message_names = { 'ERROR', 'WARN', 'INFO', 'LOG', 'DEBUG' }

--- Calls `fn(params)` for every notification `method` the server sends.
function M.on(method, fn)
  subscribers[method] = subscribers[method] or {}
  table.insert(subscribers[method], fn)
end

--- Answers the server's request `method` with `fn(params)`.
function M.handle(method, fn)
  request_handlers[method] = fn
end

--- Calls `fn()` after the server was restarted following a crash.
function M.on_restart(fn)
  table.insert(restart_listeners, fn)
end

function M.notify(message, level)
  vim.notify(message, level or vim.log.levels.INFO, { title = 'DevMode' })
end

local function append_log(type_, text)
  local stamp = os.date('%H:%M:%S')
  for line in (text .. '\n'):gmatch('(.-)\n') do
    table.insert(M.log, ('%s [%s] %s'):format(stamp, message_names[type_] or 'LOG', line))
  end
  while #M.log > 5000 do table.remove(M.log, 1) end
  M.dispatch('devmode/log', nil)
end

--- Hands a notification to its subscribers; a failing subscriber is reported, never allowed to stop the others.
function M.dispatch(method, params)
  for _, fn in ipairs(subscribers[method] or {}) do
    local ok, err = pcall(fn, params)
    if not ok then
      append_log(1, ('plugin error while handling %s: %s'):format(method, err))
    end
  end
end

M.on('window/logMessage', function(params)
  append_log(params.type, params.message)
  local threshold = config.options.notify_log_level or 0
  if params.type and params.type <= threshold then
    M.notify(params.message, message_levels[params.type])
  end
end)

M.on('window/showMessage', function(params)
  append_log(params.type, params.message)
  M.notify(params.message, message_levels[params.type] or vim.log.levels.INFO)
end)

local function settle(err)
  local callbacks = waiting
  waiting = {}
  for _, callback in ipairs(callbacks) do callback(err) end
end

local function restart_delay()
  local opts = config.options.restart
  return math.min(opts.first_delay_ms * 2 ^ (M.restarts - 1), opts.max_delay_ms)
end

local spawn

local function on_exit(code, signal)
  local was = M.status
  M.client = nil
  M.status = 'stopped'
  M.info = nil
  if was == 'starting' then settle({ code = -32099, message = ('the devmode server exited while starting (code %d)'):format(code) }) end
  M.dispatch('devmode/exit', { code = code, signal = signal })
  if quitting or M.stopping then
    M.stopping = false
    return
  end
  if M.ready_at and vim.loop.now() - M.ready_at > 60000 then M.restarts = 0 end
  M.restarts = M.restarts + 1
  if M.restarts > config.options.restart.max_attempts then
    M.status = 'failed'
    M.notify(('The devmode server exited (code %d, signal %d) and was restarted %d times; giving up. :DevMode log shows why.'):format(code, signal, M.restarts - 1), vim.log.levels.ERROR)
    return
  end
  local delay = restart_delay()
  M.notify(('The devmode server exited (code %d, signal %d); restarting in %d ms.'):format(code, signal, delay), vim.log.levels.ERROR)
  vim.defer_fn(function()
    if M.status ~= 'stopped' or quitting then return end
    M.ensure(function(err)
      if err then return end
      for _, fn in ipairs(restart_listeners) do pcall(fn) end
    end)
  end, delay)
end

spawn = function()
  local binary, how = config.server_binary()
  if not binary then
    M.status = 'failed'
    settle({ code = -32099, message = how })
    return
  end
  M.status = 'starting'
  local env = vim.tbl_extend('force', {}, config.options.server_env or {})
  local ok, client = pcall(rpc.spawn, {
    cmd = { binary, 'serve', '--stdio' },
    cwd = vim.loop.cwd(),
    env = next(env) and env or nil,
    on_notification = M.dispatch,
    on_request = function(method, params)
      local handler = request_handlers[method]
      if not handler then
        return nil, { code = -32601, message = 'the Neovim plugin does not answer ' .. method }
      end
      return handler(params)
    end,
    on_exit = on_exit,
  })
  if not ok then
    M.status = 'failed'
    settle({ code = -32099, message = ('could not start %s: %s'):format(binary, client) })
    return
  end
  M.client = client
  local params = {
    clientInfo = { name = 'devmode-neovim', version = '0.1.0' },
    capabilities = { workDoneProgress = true },
    rootPath = vim.loop.cwd(),
    kubeconfig = config.options.kubeconfig,
  }
  client:request('initialize', params, function(err, result)
    if err then
      M.status = 'failed'
      append_log(1, 'initialize failed: ' .. rpc.describe(err))
      client:terminate()
      settle(err)
      return
    end
    M.info = result
    client:notify('initialized', {})
    M.status = 'ready'
    M.ready_at = vim.loop.now()
    settle(nil)
  end)
end

--- Starts the server if it is not running and calls `callback(err)` once it is ready.
---@param callback fun(err: devmode.RpcError|nil)
function M.ensure(callback)
  if M.status == 'ready' then
    callback(nil)
    return
  end
  table.insert(waiting, callback)
  if M.status ~= 'starting' then spawn() end
end

--- Sends a request once the server is ready. `handle.id` is the request id once sent (for cancellation).
---@param callback fun(err: devmode.RpcError|nil, result: any)
---@return { id: integer|nil, method: string }
function M.request(method, params, callback)
  local handle = { id = nil, method = method, settled = false, cancelled = false }
  --- Answers the request once; progress.lua settles a cancelled one whose answer Neovim dropped.
  function handle.settle(err, result)
    if handle.settled then return end
    handle.settled = true
    callback(err, result)
  end
  M.ensure(function(err)
    if err then return handle.settle(err, nil) end
    handle.id = M.client:request(method, params, handle.settle)
  end)
  return handle
end

--- Sends a notification if the server runs.
function M.send(method, params)
  if M.client and M.status == 'ready' then M.client:notify(method, params) end
end

--- Cancels a request sent through M.request.
function M.cancel(handle)
  if handle and handle.id and M.client and not handle.settled then
    handle.cancelled = true
    M.client:cancel(handle.id)
  end
end

--- Sends a request and waits for the answer (for the health check and scripts).
function M.request_sync(method, params, timeout_ms)
  local done, err, result = false, nil, nil
  M.request(method, params, function(e, r) done, err, result = true, e, r end)
  if not vim.wait(timeout_ms or 15000, function() return done end, 20) then
    return { code = -32099, message = method .. ' got no answer in time' }, nil
  end
  return err, result
end

--- The shutdown handshake, waiting at most `timeout_ms` for the answer before `exit`; kills a silent server.
function M.stop(timeout_ms)
  local client = M.client
  if not client then return end
  M.stopping = true
  local done = false
  client:request('shutdown', nil, function() done = true end)
  vim.wait(timeout_ms or 3000, function() return done end, 10)
  client:notify('exit', nil)
  if not vim.wait(timeout_ms or 3000, function() return client.closed end, 10) then client:terminate() end
end

--- Called on VimLeavePre.
function M.quit()
  quitting = true
  M.stop(2000)
end

return M
