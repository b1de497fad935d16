-- `:DevMode debug`: attaches nvim-dap to a dev command started with `debug` in its dev config, through the
-- forwarded debug port the session reports; without nvim-dap (or for a `custom` debugger) it prints where to attach.

local config = require('devmode.config')
local server = require('devmode.server')

local M = {}

--- The nvim-dap configuration that attaches to `debug` (a DebugAttachInfo), named `name`; nil for `custom`.
---@return table|nil
function M.dap_config(debug, name)
  local adapter = (config.options.debug_adapters or {})[debug.kind]
  if debug.kind == 'custom' or not adapter then return nil end
  local base = { type = adapter, request = 'attach', name = name }
  if debug.kind == 'node' then
    return vim.tbl_extend('force', base, {
      address = debug.address, port = debug.localPort,
      localRoot = debug.localRoot, remoteRoot = debug.remoteRoot, cwd = debug.localRoot,
      skipFiles = { '<node_internals>/**' },
    })
  elseif debug.kind == 'python' then
    return vim.tbl_extend('force', base, {
      connect = { host = debug.address, port = debug.localPort },
      pathMappings = { { localRoot = debug.localRoot, remoteRoot = debug.remoteRoot } },
      justMyCode = false,
    })
  elseif debug.kind == 'java' then
    return vim.tbl_extend('force', base, { hostName = debug.address, port = debug.localPort })
  elseif debug.kind == 'go' then
    return vim.tbl_extend('force', base, {
      mode = 'remote', host = debug.address, port = debug.localPort,
      substitutePath = { { from = debug.localRoot, to = debug.remoteRoot } },
    })
  end
  return nil
end

--- Where to attach by hand: `ratings (web): node debugger on 127.0.0.1:40123 (port 9229 in the container);
--- /app there is /home/dev/web here`.
function M.describe(debug, name)
  return ('%s: %s debugger on %s:%d (port %d in the container); %s there is %s here'):format(
    name, debug.kind, debug.address, debug.localPort, debug.remotePort, debug.remoteRoot, debug.localRoot)
end

--- The dev commands of this server's sessions that run under a debugger: `{ name, container, debug }` each,
--- one per container whose dev config asks for `debug`.
function M.debuggees(sessions, container)
  local found = {}
  for _, session in ipairs(sessions) do
    if session.mine then
      local workload = ('%s/%s'):format((session.target.kind or '?'):lower(), session.target.name or '?')
      local any = false
      for _, c in ipairs(session.containers or {}) do
        if c.debug then
          any = true
          table.insert(found, { name = ('%s (%s)'):format(workload, c.container), container = c.container, debug = c.debug })
        end
      end
      if not any and session.debug then
        table.insert(found, { name = workload, container = session.target.container, debug = session.debug })
      end
    end
  end
  if container then
    found = vim.tbl_filter(function(d) return d.container == container end, found)
  end
  return found
end

--- Attaches nvim-dap when it is installed, else prints the attach information.
function M.attach_to(debuggee)
  local dap_config = M.dap_config(debuggee.debug, 'DevMode: ' .. debuggee.name)
  local has_dap, dap = pcall(require, 'dap')
  if dap_config and has_dap then
    server.notify(('Attaching nvim-dap (%s) to %s:%d'):format(dap_config.type, debuggee.debug.address, debuggee.debug.localPort))
    dap.run(dap_config)
  else
    server.notify(M.describe(debuggee.debug, debuggee.name))
  end
end

--- `:DevMode debug [-c container]`: asks the server for its sessions and attaches to the one dev command under
--- a debugger, or to the one picked.
function M.run(container, callback)
  require('devmode.devMode').list(function(sessions)
    local found = M.debuggees(sessions, container)
    if #found == 0 then
      server.notify(('No DevMode session of this server runs a debugger%s; add `debug: {port, kind}` to devmode.yaml and start DevMode again')
        :format(container and (' in container ' .. container) or ''), vim.log.levels.WARN)
    elseif #found == 1 then
      M.attach_to(found[1])
    else
      vim.ui.select(found, {
        prompt = 'Attach the debugger to',
        format_item = function(d) return ('%s  %s :%d'):format(d.name, d.debug.kind, d.debug.localPort) end,
      }, function(d)
        if d then M.attach_to(d) end
      end)
    end
    if callback then callback(found) end
  end)
end

return M
