-- `:DevMode forward LOCAL:REMOTE`: forwards a local port to a workload or pod, and reports forwards that fail.

local server = require('devmode.server')

local M = {
  --- The forwards started from this editor, by id.
  forwards = {},
}

--- `8080:80`, `:80` (any free local port) or `80` (the same port locally) as local and remote ports.
---@return integer|nil local_port, integer|nil remote_port, string|nil error
function M.parse_ports(text)
  local local_text, remote_text = (text or ''):match('^(%d*):(%d+)$')
  if not remote_text then
    local single = (text or ''):match('^(%d+)$')
    if not single then return nil, nil, ('expected LOCAL:REMOTE such as 8080:80, got %q'):format(text or '') end
    return tonumber(single), tonumber(single), nil
  end
  return local_text ~= '' and tonumber(local_text) or nil, tonumber(remote_text), nil
end

--- Starts a port-forward to `target` (a Target or PodTarget).
function M.start(target, ports, callback)
  local local_port, remote_port, problem = M.parse_ports(ports)
  if problem then
    server.notify(problem, vim.log.levels.ERROR)
    if callback then callback({ message = problem }) end
    return
  end
  server.request('portForward/start', { target = target, localPort = local_port, remotePort = remote_port, allowNextFreePort = local_port == nil },
    function(err, forward)
      if err then
        require('devmode.devMode').report('port-forward failed', err)
      else
        M.forwards[forward.id] = { address = forward.address, localPort = forward.localPort, remotePort = remote_port }
        server.notify(('Forwarding %s:%d → %d'):format(forward.address, forward.localPort, remote_port))
      end
      if callback then callback(err, forward) end
    end)
end

server.on('portForward/didChangeState', function(params)
  local forward = M.forwards[params.id]
  if params.state == 'failed' then
    local where = forward and ('%s:%d'):format(forward.address, forward.localPort) or params.id
    server.notify(('Port-forward %s failed: %s'):format(where, params.error or 'no reason given'), vim.log.levels.ERROR)
  end
end)

return M
