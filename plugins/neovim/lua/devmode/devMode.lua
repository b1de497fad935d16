-- DevMode sessions: start, stop, reset and list, the state and phase each session reports through
-- `devMode/didChangeState`, and which session is the active one (the statusline's and the commands' default).

local config = require('devmode.config')
local progress = require('devmode.progress')
local rpc = require('devmode.rpc.client')
local server = require('devmode.server')

local M = {
  ---@type table<string, { sessionId: string, target: devmode.Target, state: string, phase: string|nil, message: string|nil, pod: string|nil, container: string|nil, localDir: string|nil, sync: table|nil }>
  sessions = {},
  ---@type string|nil the session started last and not ended
  active_id = nil,
}

local kind_aliases = {
  deploy = 'Deployment', deployment = 'Deployment', deployments = 'Deployment',
  sts = 'StatefulSet', statefulset = 'StatefulSet', statefulsets = 'StatefulSet',
  ds = 'DaemonSet', daemonset = 'DaemonSet', daemonsets = 'DaemonSet',
  job = 'Job', jobs = 'Job',
  cj = 'CronJob', cronjob = 'CronJob', cronjobs = 'CronJob',
  po = 'Pod', pod = 'Pod', pods = 'Pod',
}

--- `deploy/ratings` (as kubectl and the devmode CLI spell it) as a Target; nil and a message when malformed.
---@return devmode.Target|nil, string|nil
function M.parse_target(text, namespace)
  local kind_text, name, extra = (text or ''):match('^([^/]+)/([^/]+)(.*)$')
  local kind = kind_text and kind_aliases[kind_text:lower()]
  if not kind or extra ~= '' then
    return nil, ('expected <kind>/<name> such as deploy/ratings, got %q'):format(text or '')
  end
  return { namespace = namespace or config.options.namespace, kind = kind, name = name }, nil
end

--- `kind/name` of a target, for messages.
function M.describe_target(target)
  if target.pod then return 'pod/' .. target.pod end
  return ('%s/%s'):format((target.kind or '?'):lower(), target.name or '?')
end

--- The folder DevMode syncs: the one holding the nearest devmode.yaml upward from the current directory, else
--- the current directory.
function M.local_dir()
  local cwd = vim.loop.cwd()
  local found = vim.fn.findfile('devmode.yaml', cwd .. ';')
  if found ~= '' then return vim.fn.fnamemodify(found, ':p:h') end
  return cwd
end

--- The active session, when there is one.
function M.active()
  local session = M.active_id and M.sessions[M.active_id]
  if session and (session.state == 'running' or session.state == 'starting') then return session end
  return nil
end

local function same_target(a, b)
  return a and b and a.kind == b.kind and a.name == b.name and a.namespace == b.namespace
end

--- The session of ours on a target.
function M.session_for(target)
  for _, session in pairs(M.sessions) do
    if same_target(session.target, target) and session.state ~= 'stopped' then return session end
  end
  return nil
end

--- Puts an error into the quickfix list when it locates bad input (file and line), and shows it.
function M.report(prefix, err)
  local data = err.data or {}
  if data.file then
    local text = err.message .. (data.field and (' (' .. data.field .. ')') or '') .. (data.hint and (': ' .. data.hint) or '')
    vim.fn.setqflist({}, 'r', { title = 'DevMode', items = { { filename = data.file, lnum = data.line or 1, text = text, type = 'E' } } })
  end
  server.notify(prefix .. ': ' .. rpc.describe(err), vim.log.levels.ERROR)
end

---@param target devmode.Target
---@param opts { duplicate: boolean|nil, callback: fun(err: devmode.RpcError|nil, result: devmode.StartDevModeResult|nil)|nil }|nil
function M.start(target, opts)
  opts = opts or {}
  local token = progress.token()
  local params = {
    target = target,
    localDir = M.local_dir(),
    mode = opts.duplicate and 'duplicate' or nil,
    workDoneToken = token,
  }
  local handle = server.request('devMode/start', params, function(err, result)
    progress.finish(token)
    if err and err.name == 'RequestCancelled' then
      server.notify(('DevMode start on %s cancelled'):format(M.describe_target(target)))
    elseif err then
      M.report('DevMode start failed for ' .. M.describe_target(target), err)
    else
      local session = M.sessions[result.sessionId] or { sessionId = result.sessionId, target = target }
      M.sessions[result.sessionId] = session
      session.state, session.phase = 'running', nil
      session.pod, session.container, session.localDir = result.pod, result.container, params.localDir
      session.sync = result.sync and { state = result.sync.state, pendingFiles = result.sync.pendingFiles } or session.sync
      session.portForwards = result.portForwards
      session.debug, session.containers = result.debug, result.containers
      M.active_id = result.sessionId
      local ports = {}
      for _, forward in ipairs(result.portForwards or {}) do
        table.insert(ports, ('%s:%d→%d'):format(forward.address, forward.localPort, forward.remotePort))
      end
      server.notify(('DevMode running on %s: pod %s%s'):format(M.describe_target(target), result.pod,
        #ports > 0 and (', forwarding ' .. table.concat(ports, ', ')) or ''))
    end
    vim.cmd('redrawstatus')
    if opts.callback then opts.callback(err, result) end
  end)
  progress.track(token, handle)
end

--- Stops a session of ours (by session) or DevMode on a target.
function M.stop(session_or_target, callback)
  local token = progress.token()
  local params = session_or_target.sessionId and { sessionId = session_or_target.sessionId, workDoneToken = token }
    or { target = session_or_target, workDoneToken = token }
  local handle = server.request('devMode/stop', params, function(err, result)
    progress.finish(token)
    if err then
      M.report('DevMode stop failed', err)
    else
      for id, session in pairs(M.sessions) do
        if id == params.sessionId or same_target(session.target, result.target) then session.state = 'stopped' end
      end
      server.notify(('DevMode stopped; %s is restored'):format(M.describe_target(result.target)))
    end
    vim.cmd('redrawstatus')
    if callback then callback(err, result) end
  end)
  progress.track(token, handle)
end

--- Restores a workload from what DevMode recorded in the cluster.
function M.reset(target, callback)
  local token = progress.token()
  local handle = server.request('devMode/reset', { target = target, workDoneToken = token }, function(err, result)
    progress.finish(token)
    if err then
      M.report('DevMode reset failed', err)
    else
      for _, id in ipairs(result.endedSessions or {}) do
        if M.sessions[id] then M.sessions[id].state = 'stopped' end
      end
      server.notify(('DevMode reset; %s is restored'):format(M.describe_target(result.target)))
    end
    vim.cmd('redrawstatus')
    if callback then callback(err, result) end
  end)
  progress.track(token, handle)
end

--- Lists every DevMode session (ours and the cluster's) through `callback(sessions)`.
function M.list(callback)
  server.request('devMode/list', {}, function(err, result)
    if err then
      M.report('DevMode list failed', err)
      return
    end
    callback(result.sessions or {})
  end)
end

--- One line of `:DevMode list`: ◆ this server's, ◇ another's, ⚠ a stale one with who left it and since when.
function M.list_line(s)
  local mark = s.stale and '⚠' or (s.mine and '◆' or '◇')
  local line = ('%s %s/%s  %s%s%s'):format(mark, s.target.namespace, M.describe_target(s.target),
    s.state, s.pod and ('  pod ' .. s.pod) or '', s.owner and ('  by ' .. s.owner) or '')
  if s.stale then
    line = line .. ('  %s %s; :DevMode reset restores it'):format(
      s.stale.heartbeat and 'silent since' or 'no heartbeat since', s.stale.since)
  end
  return line
end

--- One container of a session, as `:DevMode list` shows it under the session: its name, workDir, sync state,
--- forwards (the debugger's aside) and debugger.
function M.container_line(container)
  local parts = { '    ' .. container.container, container.workDir }
  local sync = container.sync
  if not sync then
    table.insert(parts, 'no sync')
  else
    table.insert(parts, (sync.pendingFiles or 0) > 0 and ('%s, %d pending'):format(sync.state, sync.pendingFiles) or sync.state)
  end
  local debug = container.debug
  for _, forward in ipairs(container.portForwards or {}) do
    if not debug or forward.localPort ~= debug.localPort then
      table.insert(parts, ('%s:%d→%d'):format(forward.address, forward.localPort, forward.remotePort))
    end
  end
  if debug then table.insert(parts, ('%s debugger %s:%d'):format(debug.kind, debug.address, debug.localPort)) end
  return table.concat(parts, '  ')
end

--- `:DevMode list`: one line per session, then one per container of this server's sessions.
function M.show_list()
  M.list(function(sessions)
    if #sessions == 0 then
      server.notify('No workload is in DevMode')
      return
    end
    local lines = {}
    for _, s in ipairs(sessions) do
      table.insert(lines, M.list_line(s))
      for _, container in ipairs(s.containers or {}) do table.insert(lines, M.container_line(container)) end
    end
    server.notify(table.concat(lines, '\n'))
  end)
end

server.on('devMode/didChangeState', function(params)
  local id = params.sessionId
  if not id then return end
  local session = M.sessions[id] or { sessionId = id, target = params.target }
  M.sessions[id] = session
  session.state, session.phase, session.message = params.state, params.phase, params.message
  if params.state == 'starting' then M.active_id = id end
  if params.state == 'failed' then
    server.notify(('DevMode failed on %s%s: %s'):format(M.describe_target(params.target),
      params.phase and (' (' .. params.phase .. ')') or '', params.message or 'no reason given'), vim.log.levels.ERROR)
  end
  vim.cmd('redrawstatus')
end)

server.on('sync/didChangeState', function(params)
  local session = M.sessions[params.sessionId]
  if not session then return end
  session.sync = { state = params.state, pendingFiles = params.pendingFiles, message = params.message }
  vim.cmd('redrawstatus')
end)

server.on('devmode/exit', function()
  -- The server's sessions end with it; a restarted server lists what is left in the cluster.
  for _, session in pairs(M.sessions) do
    if session.state ~= 'stopped' then session.sync = { state = 'disconnected', pendingFiles = 0 } end
  end
end)

return M
