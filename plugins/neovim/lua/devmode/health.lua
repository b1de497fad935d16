-- `:checkhealth devmode`: the binary and its version, the server starting, the kubeconfig, the contexts'
-- reachability, and util-linux for the local sandbox.

local config = require('devmode.config')

local M = {}

-- Neovim 0.10 renamed report_start/report_ok/... to start/ok/...; 0.7 has them in the `health` module only.
local function reporter()
  local health = vim.health or require('health')
  return {
    start = health.start or health.report_start,
    ok = health.ok or health.report_ok,
    warn = health.warn or health.report_warn,
    error = health.error or health.report_error,
    info = health.info or health.report_info,
  }
end

function M.check()
  local h = reporter()
  h.start('devmode: server binary')
  local binary, how = config.server_binary()
  if not binary then
    h.error(how)
    return
  end
  local version = vim.fn.system({ binary, '--version' })
  if vim.v.shell_error ~= 0 then
    h.error(('%s --version failed (exit %d): %s'):format(binary, vim.v.shell_error, version))
    return
  end
  h.ok(('%s (found via %s): %s'):format(binary, how, vim.trim(version)))

  h.start('devmode: server')
  local server = require('devmode.server')
  local started = false
  local err
  server.ensure(function(e)
    started, err = true, e
  end)
  vim.wait(20000, function() return started end, 20)
  if not started or err then
    h.error('the server did not start: ' .. (err and err.message or 'no answer to initialize within 20 s'), { 'Run :DevMode log for its messages' })
    return
  end
  h.ok(('%s %s answers, protocol %s'):format(server.info.serverInfo.name, server.info.serverInfo.version, server.info.protocolVersion))

  h.start('devmode: kubeconfig')
  local list_err, clusters = server.request_sync('cluster/list', {}, 30000)
  if list_err then
    local hint = list_err.data and list_err.data.hint
    h.error('the kubeconfig cannot be read: ' .. list_err.message, hint and { hint } or nil)
  else
    local contexts = clusters.contexts or {}
    if #contexts == 0 then
      h.warn('the kubeconfig has no contexts', { 'Set KUBECONFIG or the kubeconfig option' })
    else
      h.ok(('the kubeconfig is readable: %d context(s)'):format(#contexts))
    end
    -- A context is reachable when its namespaces can be listed, exactly what the sidebar does first.
    local tree_err, roots = server.request_sync('tree/children', {}, 30000)
    local nodes = {}
    for _, node in ipairs(not tree_err and roots.nodes or {}) do nodes[node.label] = node end
    for _, context in ipairs(contexts) do
      local label = ('context %s (%s)%s'):format(context.name, context.server or context.cluster, context.current and ', current' or '')
      local node = nodes[context.name]
      if not node then
        h.warn(label .. ' is not in the tree' .. (tree_err and (': ' .. tree_err.message) or ''))
      else
        local err = server.request_sync('tree/children', { nodeId = node.id }, 30000)
        if err then
          h.warn(('%s does not answer: %s'):format(label, err.message), err.data and err.data.hint and { err.data.hint } or nil)
        else
          h.ok(label .. ' is reachable')
        end
      end
    end
  end

  h.start('devmode: local sandbox')
  -- The sandbox runs pods in namespaces made with util-linux; only the local sandbox needs these.
  local missing = {}
  for _, tool in ipairs({ 'unshare', 'nsenter', 'setpriv', 'pivot_root' }) do
    if vim.fn.executable(tool) ~= 1 then table.insert(missing, tool) end
  end
  if #missing == 0 then
    h.ok('util-linux (unshare, nsenter, setpriv, pivot_root) is installed: `devmode sandbox start` can run pods')
  else
    h.warn(table.concat(missing, ', ') .. ' missing: only needed for the local sandbox', { 'apt-get install util-linux' })
  end
end

return M
